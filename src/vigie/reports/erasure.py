"""Erasure of a resident's personal data in the reports context (the GDPR's right to erasure).

Called by the erasure request once its e-mail link is used
(``notifications/erasure.py``), inside that request's transaction: the
reports a resident filed keep what the city needs to run its service
(category, place, status, history of the work, the answers chosen from the
service's lists, numbers and dates) and lose what tells who filed them and what
they wrote — contact, device, account, tracking token, text, the answers typed
as free text (a licence plate, a name), photos and media links — each replaced
by a tombstone (an empty value, a fixed text, ``erased_at``). Follows by that
address lose the address and their token; the messages it sent that joined a report's
history (replies by e-mail, found by the address's hash) lose their text and the hash.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from vigie.catalogue.domain import Catalogue, Datatype
from vigie.db import utcnow
from vigie.reports.storage import HAS_REPORTER_EMAIL, FollowerRow, PhotoRow, ReportRow, ReportUpdateRow

TOMBSTONE = {
    "fr": "[texte effacé à la demande de la personne qui a fait le signalement]",
    "en": "[text erased at the request of the person who made the report]",
}
# A resident's message joined to a report (a reply by e-mail): its sender may not be the reporter.
MESSAGE_TOMBSTONE = {
    "fr": "[message effacé à la demande de la personne qui l'a écrit]",
    "en": "[message erased at the request of the person who wrote it]",
}


@dataclass
class Erased:
    """What an erasure changed, and the photo files to delete once it has committed."""

    reports: int = 0
    follows: int = 0
    replies: int = 0
    photos: int = 0
    photo_keys: list[str] = field(default_factory=list)


# Answers a resident picks rather than writes: nothing in them is their own words.
CHOSEN = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST, Datatype.NUMBER, Datatype.DATETIME})


def chosen_answers(catalogue: Catalogue, service_code: str, answers: dict[str, Any] | None) -> dict[str, Any]:
    """``answers`` without the free text: only those the service declares as a list, a number or
    a date (an answer to a question the catalogue no longer has cannot be told apart: it goes)."""
    service = catalogue.service(service_code)
    declared = {a.code: a.datatype for a in service.attributes} if service is not None else {}
    return {k: value for k, value in (answers or {}).items() if declared.get(k) in CHOSEN}


def erase_reporter(
    s: Session, email: str, catalogue: Catalogue, lang: str = "fr", sender_hash: str = ""
) -> Erased:
    """Replace the personal data tied to ``email`` by tombstones, in session ``s`` (not committed).

    ``sender_hash`` (the address's hash, notifications.consent.address_hash) finds the messages
    the address sent that joined a report's history (on any report: a follower's reply joins
    someone else's); their text and the hash go. Messages recorded before the hash was kept
    (migration 0039) cannot be told apart and stay."""
    address = email.strip().casefold()
    now = utcnow()
    out = Erased()
    # Addresses are stored lower-cased (check_email): compared as stored, the partial
    # index of the reports with an address serves the query (its predicate stated).
    wanted = ReportRow.reporter_email.in_(sorted({address, email.strip().lower()}))
    found = list(
        s.execute(
            select(ReportRow.id, ReportRow.service_code, ReportRow.attributes).where(
                sql_text(HAS_REPORTER_EMAIL), wanted
            )
        )
    )
    report_ids = [rid for rid, _, _ in found]
    if report_ids:
        text = TOMBSTONE.get(lang, TOMBSTONE["fr"])
        for rid, service_code, answers in found:
            # A fresh random token per report: the old tracking link leads nowhere.
            s.execute(
                update(ReportRow)
                .where(ReportRow.id == rid)
                .values(
                    reporter_name="",
                    reporter_email="",
                    reporter_phone="",
                    device_id="",
                    account_id="",
                    token=secrets.token_urlsafe(24),
                    description=text,
                    public_description=None,
                    attributes=chosen_answers(catalogue, service_code, answers),
                    erased_at=now,
                )
            )
        photos = list(
            s.execute(
                select(PhotoRow.id, PhotoRow.key).where(
                    PhotoRow.report_id.in_(report_ids), PhotoRow.kind == "report"
                )
            )
        )
        out.photo_keys = [key for _, key in photos]
        if photos:
            s.execute(delete(PhotoRow).where(PhotoRow.id.in_([pid for pid, _ in photos])))
        # Media links given with the reports are the resident's pictures too.
        s.execute(
            update(ReportUpdateRow)
            .where(ReportUpdateRow.report_id.in_(report_ids), ReportUpdateRow.kind == "created")
            .values(detail={})
        )
        out.reports, out.photos = len(report_ids), len(photos)
    follower_ids = list(s.scalars(select(FollowerRow.id).where(func.lower(FollowerRow.email) == address)))
    for fid in follower_ids:
        s.execute(
            update(FollowerRow).where(FollowerRow.id == fid).values(email="", token=secrets.token_urlsafe(24))
        )
    out.follows = len(follower_ids)
    if sender_hash:
        # The partial index of the entries with a hash serves this (a value implies NOT NULL).
        replies = s.execute(
            update(ReportUpdateRow)
            .where(ReportUpdateRow.sender_hash == sender_hash)
            .values(internal_note=MESSAGE_TOMBSTONE.get(lang, MESSAGE_TOMBSTONE["fr"]), sender_hash=None)
            .execution_options(synchronize_session=False)
        )
        out.replies = int(getattr(replies, "rowcount", 0) or 0)
    return out


__all__ = ["CHOSEN", "Erased", "MESSAGE_TOMBSTONE", "TOMBSTONE", "chosen_answers", "erase_reporter"]
