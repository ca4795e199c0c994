"""What follows a resident across devices: their reports, favourites and waste reminders;
merging what a device held; export and deletion of the account.

"My reports" are tracking tokens (the device's list holds the same): a token the
resident shows proves they made or follow that report. Merging is idempotent
(one row per token, favourite or address), so a device can send its whole list at
every sign-in. Deleting the account erases it and everything it holds in one
transaction; the reports stay for the city, their ``account_id`` emptied.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, select
from sqlalchemy.orm import Session

from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.changes import AddressErased
from vigie.notifications import consent
from vigie.notifications.actions import MailKind, forget_messages
from vigie.reports.accounts import REPORTER, link_account, tracked_by, unlink_account
from vigie.residents.domain import (
    MAX_FAVOURITES,
    MAX_REMINDERS,
    Favourite,
    account_ref,
    check_favourite,
    check_reminder,
    check_tokens,
)
from vigie.residents.storage import (
    FavouriteRow,
    ReminderRow,
    ResidentReportRow,
    ResidentRow,
    ResidentSessionRow,
    SignInLinkRow,
)
from vigie.runtime import Vigie
from vigie.waste.service import rounds_of

log = logging.getLogger(__name__)


def _insert_ignoring(s: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a merge sent twice (two tabs) adds nothing twice."""
    if not rows:
        return
    t = cast(Table, table.__table__)
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        s.execute(pg_insert(t).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        s.execute(sqlite_insert(t).on_conflict_do_nothing(), rows)


def _add_reports(s: Session, resident_id: int, tokens: list[str]) -> int:
    tracked = tracked_by(s, tokens)
    now = utcnow()
    _insert_ignoring(
        s,
        ResidentReportRow,
        [
            {
                "resident_id": resident_id,
                "token": t.token,
                "role": t.relation,
                "report_id": t.report_id,
                "added_at": now,
            }
            for t in tracked.values()
        ],
    )
    link_account(
        s, [t.report_id for t in tracked.values() if t.relation == REPORTER], account_ref(resident_id)
    )
    return len(tracked)


def _add_favourites(s: Session, resident_id: int, favourites: list[Favourite]) -> None:
    have = s.scalar(
        select(func.count()).select_from(FavouriteRow).where(FavouriteRow.resident_id == resident_id)
    )
    if (have or 0) + len(favourites) > MAX_FAVOURITES:
        known = set(
            s.execute(
                select(FavouriteRow.kind, FavouriteRow.ref).where(FavouriteRow.resident_id == resident_id)
            )
        )
        fresh = {(f.kind, f.ref) for f in favourites} - {tuple(k) for k in known}
        if (have or 0) + len(fresh) > MAX_FAVOURITES:
            raise ValidationFailed(
                f"an account keeps at most {MAX_FAVOURITES} favourites", field="favourites"
            )
    now = utcnow()
    _insert_ignoring(
        s,
        FavouriteRow,
        [
            {
                "resident_id": resident_id,
                "kind": f.kind,
                "ref": f.ref,
                "label": f.label,
                "lat": f.lat,
                "lon": f.lon,
                "added_at": now,
            }
            for f in favourites
        ],
    )


def check_merge(data: object) -> tuple[list[str], list[Favourite]]:
    """What a device sends at sign-in: ``{"reports": [tokens], "favourites": [{kind, ref, label}]}``."""
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be an object {reports, favourites}")
    extra = sorted(set(data) - {"reports", "favourites"})
    if extra:
        raise ValidationFailed(f"unknown field '{str(extra[0])[:40]}'", field=str(extra[0])[:40])
    favourites = data.get("favourites") or []
    if not isinstance(favourites, list) or len(favourites) > MAX_FAVOURITES:
        raise ValidationFailed(f"favourites must be a list of at most {MAX_FAVOURITES}", field="favourites")
    return check_tokens(data.get("reports")), [check_favourite(f) for f in favourites]


def do_merge(v: Vigie, resident_id: int, tokens: list[str], favourites: list[Favourite]) -> dict[str, Any]:
    """Add what a device held to the account (again and again: nothing is added twice)."""
    with v.db.session(write=True) as s:
        _add_reports(s, resident_id, tokens)
        _add_favourites(s, resident_id, favourites)
        s.commit()
    return account_data(v, resident_id)


def do_add_report(v: Vigie, resident_id: int, token: str) -> None:
    """A report made or followed on a signed-in device joins the account."""
    (token,) = check_tokens([token])
    with v.db.session(write=True) as s:
        if not _add_reports(s, resident_id, [token]):
            raise NotFound("no report has this tracking token")
        s.commit()


def do_forget_report(v: Vigie, resident_id: int, token: str) -> bool:
    with v.db.session(write=True) as s:
        gone = cast(
            CursorResult[Any],
            s.execute(
                delete(ResidentReportRow).where(
                    ResidentReportRow.resident_id == resident_id, ResidentReportRow.token == token
                )
            ),
        ).rowcount
        s.commit()
    return gone > 0


def do_add_favourite(v: Vigie, resident_id: int, data: object) -> None:
    favourite = check_favourite(data)
    with v.db.session(write=True) as s:
        _add_favourites(s, resident_id, [favourite])
        s.commit()


def do_remove_favourite(v: Vigie, resident_id: int, kind: str, ref: str) -> bool:
    with v.db.session(write=True) as s:
        gone = cast(
            CursorResult[Any],
            s.execute(
                delete(FavouriteRow).where(
                    FavouriteRow.resident_id == resident_id,
                    FavouriteRow.kind == kind,
                    FavouriteRow.ref == ref,
                )
            ),
        ).rowcount
        s.commit()
    return gone > 0


def do_set_reminder(v: Vigie, resident_id: int, data: dict[str, Any]) -> int:
    """Remind the resident the evening before the collections of an address (set again: the
    address's reminder changes). Its e-mails follow the e-mail policy: a subscription of its
    own, confirmed by the sign-in, with its stop link."""
    rounds = rounds_of(v)
    if rounds is None:
        raise NotFound("no waste collection rounds are configured (waste_rounds)")
    draft = check_reminder(data, list(rounds.streams))
    if rounds.zone_for(draft.citycode, draft.street) is None:
        raise NotFound(f"no collection zone covers commune '{draft.citycode}'", field="commune")
    with v.db.session(write=True) as s:
        resident = s.get(ResidentRow, resident_id)
        if resident is None:
            raise NotFound("this account does not exist any more")
        row = s.scalar(
            select(ReminderRow).where(
                ReminderRow.resident_id == resident_id,
                ReminderRow.citycode == draft.citycode,
                ReminderRow.street == draft.street,
            )
        )
        stopped = row is not None and bool(consent.stopped_tokens(s, [row.token]))
        if row is None or stopped:
            count = s.scalar(
                select(func.count()).select_from(ReminderRow).where(ReminderRow.resident_id == resident_id)
            )
            if row is None and (count or 0) >= MAX_REMINDERS:
                raise Conflict(f"an account keeps at most {MAX_REMINDERS} reminders", field="label")
            token = consent.REMINDER_PREFIX + secrets.token_urlsafe(24)
            # Asked from the account, whose address the sign-in proved: confirmed at once.
            consent.add_consent(s, token, resident.email, confirmed=True)
            if row is None:
                row = ReminderRow(
                    resident_id=resident_id, citycode=draft.citycode, street=draft.street, created_at=utcnow()
                )
                s.add(row)
            else:  # set again after its stop link was used: a new subscription
                consent.drop_subscriptions(s, [row.token])
            row.token = token
        row.label, row.streams, row.at = draft.label, list(draft.streams), draft.at
        s.flush()
        rid = row.id
        s.commit()
    return rid


def do_remove_reminder(v: Vigie, resident_id: int, reminder_id: int) -> None:
    with v.db.session(write=True) as s:
        row = s.scalar(
            select(ReminderRow).where(ReminderRow.id == reminder_id, ReminderRow.resident_id == resident_id)
        )
        if row is None:
            raise NotFound("no such reminder in this account")
        consent.drop_subscriptions(s, [row.token])
        s.delete(row)
        s.commit()


def account_data(v: Vigie, resident_id: int, lang: str = "fr") -> dict[str, Any]:
    """Everything the account holds, as its owner may read and export it."""
    with v.db.session() as s:
        resident = s.get(ResidentRow, resident_id)
        if resident is None:
            raise NotFound("this account does not exist any more")
        mine = list(
            s.scalars(
                select(ResidentReportRow)
                .where(ResidentReportRow.resident_id == resident_id)
                .order_by(ResidentReportRow.id)
            )
        )
        tracked = tracked_by(s, [m.token for m in mine])
        favourites = list(
            s.scalars(
                select(FavouriteRow).where(FavouriteRow.resident_id == resident_id).order_by(FavouriteRow.id)
            )
        )
        reminders = list(
            s.scalars(
                select(ReminderRow).where(ReminderRow.resident_id == resident_id).order_by(ReminderRow.id)
            )
        )
        stopped = consent.stopped_tokens(s, [r.token for r in reminders])
        sessions = list(
            s.execute(
                select(ResidentSessionRow.created_at, ResidentSessionRow.expires_at)
                .where(ResidentSessionRow.resident_id == resident_id)
                .order_by(ResidentSessionRow.id)
            )
        )
    rounds = rounds_of(v)
    reports = []
    for m in mine:
        t = tracked.get(m.token)
        if t is None:  # erased since (its token changed)
            continue
        service = v.catalogue.service(t.service_code)
        reports.append(
            {
                "token": t.token,
                "role": t.relation,
                "reference": t.reference,
                "service": service.name.get(lang) if service else t.service_code,
                "status": t.status,
                "requested_at": t.requested_at.isoformat(),
                "added_at": m.added_at.isoformat(),
            }
        )
    reports.sort(key=lambda r: r["requested_at"], reverse=True)
    return {
        "account": {
            "email": resident.email,
            "lang": resident.lang,
            "created_at": resident.created_at.isoformat(),
            "signed_in_at": resident.signed_in_at.isoformat() if resident.signed_in_at else None,
        },
        "reports": reports,
        "favourites": [
            {
                "kind": f.kind,
                "ref": f.ref,
                "label": f.label,
                "lat": f.lat,
                "lon": f.lon,
                "added_at": f.added_at.isoformat(),
            }
            for f in favourites
        ],
        "reminders": [
            {
                "id": r.id,
                "label": r.label,
                "commune": r.citycode,
                "rue": r.street,
                "streams": list(r.streams),
                "stream_names": [
                    rounds.streams[c].name(lang) if rounds and c in rounds.streams else c for c in r.streams
                ],
                "at": r.at,
                "stopped": r.token in stopped,
                "last_for": r.last_for.isoformat() if r.last_for else None,
            }
            for r in reminders
        ],
        "sessions": [{"created_at": c.isoformat(), "expires_at": e.isoformat()} for c, e in sessions],
    }


def _delete(s: Session, resident: ResidentRow) -> dict[str, int]:
    """Everything of ``resident`` goes, in session ``s``: links to reports emptied, reminder
    subscriptions dropped, messages emptied, sign-in links, sessions, the account."""
    rid = resident.id
    tokens = list(s.scalars(select(ReminderRow.token).where(ReminderRow.resident_id == rid)))
    reports = s.scalar(
        select(func.count()).select_from(ResidentReportRow).where(ResidentReportRow.resident_id == rid)
    )
    unlink_account(s, account_ref(rid))
    # The address's sign-in subscription goes too (its hash emptied: a stop it held ends).
    signin_tokens = consent.asked_tokens(s, resident.email, consent.SIGN_IN_PREFIX)
    consent.drop_subscriptions(s, [*tokens, *signin_tokens, f"resident:{rid}"])
    messages = forget_messages(s, resident.email, [MailKind.SIGN_IN, MailKind.REMINDER])
    s.execute(delete(SignInLinkRow).where(SignInLinkRow.email == resident.email))
    for table in (ResidentReportRow, FavouriteRow, ReminderRow, ResidentSessionRow):
        s.execute(delete(table).where(table.resident_id == rid))
    s.delete(resident)
    return {"reports": reports or 0, "reminders": len(tokens), "messages": messages}


def do_delete_account(v: Vigie, resident_id: int) -> dict[str, int]:
    """Erase the account; its reports stay for the city without the link to the person."""
    with v.db.session(write=True) as s:
        resident = s.get(ResidentRow, resident_id)
        if resident is None:
            raise NotFound("this account does not exist any more")
        counts = _delete(s, resident)
        s.commit()
    log.info("resident account %s deleted: %s", resident_id, counts)
    return counts


def forget_address(s: Session, event: AddressErased) -> None:
    """Subscriber (in the erasure's transaction) of ``AddressErased``: the account of that
    address is deleted with the rest of the person's data."""
    resident = s.scalar(select(ResidentRow).where(ResidentRow.email == event.address))
    if resident is not None:
        _delete(s, resident)


__all__ = [
    "account_data",
    "check_merge",
    "do_add_favourite",
    "do_add_report",
    "do_delete_account",
    "do_forget_report",
    "do_merge",
    "do_remove_favourite",
    "do_remove_reminder",
    "do_set_reminder",
    "forget_address",
]
