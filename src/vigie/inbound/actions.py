"""An e-mail to the city becomes a report, joins one, or is set aside: ``do_receive``.

Every inbound message, from the SMTP listener or the IMAP poller, goes
through :func:`do_receive`, once per Message-ID (a message delivered twice
has one outcome):

1. too big, or written by a machine (auto-reply, bounce, list, loop): set
   aside, never a report; machines are never answered;
2. a reply in a report's thread (to an e-mail Vigie sent about it, or to the
   message that made it) joins that report's history;
3. otherwise a new report in the control room's queue (channel ``email``),
   through ``reports.intake.do_create_reports`` like every other channel: the
   text cleaned, photos through the photo pipeline, the place from a photo's
   position or an address in the text (the geocoder), the service suggested
   from the text (``vigie.triage``), the operator confirming or correcting.

The sender is answered (the receipt with the report's reference, or why the
message was refused) only when SPF/DKIM/DMARC authenticate them, or the check
cannot tell and the address confirmed e-mails before
(``notifications.actions.may_answer``): a forged sender never gets mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigie.db import utcnow
from vigie.errors import NotFound, VigieError
from vigie.events.changes import AddressErased
from vigie.inbound.auth import (
    NONE,
    PASS,
    Authentication,
    DnsResolver,
    Resolver,
    check_message,
    trusted_results,
)
from vigie.inbound.message import Inbound, address_candidates, read_message
from vigie.inbound.storage import InboundMessageRow
from vigie.inbound.texts import answer_text
from vigie.notifications.actions import may_answer, own_addresses, queue_answer, report_of_thread
from vigie.notifications.consent import address_hash
from vigie.reports.actions import do_add_resident_message, get_report
from vigie.reports.domain import Channel
from vigie.reports.intake import Idempotency, Submission, check_submission, do_create_reports
from vigie.reports.lookups import reporter_of_reference
from vigie.runtime import Vigie
from vigie.triage.actions import ranker, suggest

log = logging.getLogger(__name__)


@dataclass
class Envelope:
    """What the SMTP session knew; empty for a message read from a mailbox."""

    via: str = "imap"
    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None  # "" is a bounce's null reverse path


@dataclass
class Received:
    outcome: str  # report | reply | ignored | refused
    reason: str = ""
    report_id: int | None = None
    reference: str = ""
    answered: bool = False
    suggestions: list[str] = field(default_factory=list)
    located: str = ""
    duplicate: bool = False  # this Message-ID had come before: its first outcome


def _resolver(v: Vigie) -> Resolver:
    found = v.caches.dns_resolver
    if found is None:
        found = v.caches.dns_resolver = DnsResolver(v.settings.mail_inbound_dns_timeout_seconds)
    return found


def authenticate(v: Vigie, raw: bytes, envelope: Envelope) -> Authentication:
    settings = v.settings
    if settings.mail_inbound_authserv_id and envelope.via == "imap":
        trusted = trusted_results(raw, settings.mail_inbound_authserv_id)
        if trusted is not None:
            return trusted
    return check_message(
        raw,
        _resolver(v),
        settings.mail_inbound_authserv_id or "vigie",
        ip=envelope.ip,
        mail_from=envelope.mail_from,
        helo=envelope.helo,
    )


def _previous(v: Vigie, message_id: str) -> Received | None:
    with v.db.session() as s:
        row = s.scalar(select(InboundMessageRow).where(InboundMessageRow.message_id == message_id))
    if row is None:
        return None
    reference = ""
    if row.report_id is not None:
        with contextlib.suppress(NotFound):  # the report was deleted since
            reference = get_report(v, row.report_id).reference or ""
    return Received(
        row.outcome,
        row.reason,
        row.report_id,
        reference,
        row.answered,
        list(row.suggestions or []),
        row.located,
        duplicate=True,
    )


def _record(v: Vigie, inbound: Inbound, via: str, verdict: str, done: Received) -> Received:
    row = InboundMessageRow(
        message_id=inbound.message_id,
        received_at=utcnow(),
        via=via,
        sender=inbound.sender[:320],
        verdict=verdict,
        outcome=done.outcome,
        reason=done.reason[:300],
        report_id=done.report_id,
        suggestions=done.suggestions,
        located=done.located,
        answered=done.answered,
    )
    try:
        with v.db.session(write=True) as s:
            s.add(row)
            s.commit()
    except IntegrityError:  # the same message, handled meanwhile by another worker
        return _previous(v, inbound.message_id) or done
    return done


def _digest_id(raw: bytes) -> str:
    return "sha256-" + hashlib.sha256(raw).hexdigest()


def do_receive(v: Vigie, raw: bytes, envelope: Envelope | None = None) -> Received:
    """Handle one inbound message (its raw bytes); see the module's docstring."""
    envelope = envelope or Envelope()
    settings = v.settings
    own = own_addresses(settings)
    if len(raw) > settings.mail_inbound_max_bytes:
        # Only the headers are read: nothing of a message this big is kept.
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        inbound = read_message(head + b"\r\n\r\n", own, envelope.mail_from)
        if inbound.message_id.startswith("sha256-"):
            inbound.message_id = _digest_id(raw)
        return _refuse(v, raw, envelope, inbound, "too_big", size=len(raw))
    inbound = read_message(raw, own, envelope.mail_from)
    previous = _previous(v, inbound.message_id)
    if previous is not None:
        return previous
    if inbound.automatic:
        log.info("inbound message set aside (%s)", inbound.automatic)
        return _record(v, inbound, envelope.via, NONE, Received("ignored", inbound.automatic))
    if not inbound.sender or "@" not in inbound.sender:
        return _record(v, inbound, envelope.via, NONE, Received("ignored", "no sender address"))

    report_id = _thread(v, raw, envelope, inbound)
    if report_id is not None:
        return _reply(v, inbound, envelope, report_id)
    photos = inbound.photos
    if len(photos) > settings.max_photos_per_report:
        return _refuse(v, raw, envelope, inbound, "too_many_photos", count=len(photos))
    if not inbound.text and not photos:
        return _refuse(v, raw, envelope, inbound, "empty")
    return _new_report(v, raw, envelope, inbound)


# --- a reply in a report's thread -----------------------------------------------

_REFERENCE = re.compile(r"\b([A-Z]{2,8}-\d{4}-\d{4,9})\b")


def _thread(v: Vigie, raw: bytes, envelope: Envelope, inbound: Inbound) -> int | None:
    """The report this message answers: by the ids of its thread, else by a reference in
    its subject written by the report's own reporter."""
    ids = inbound.thread_ids
    with v.db.session() as s:
        found = report_of_thread(s, ids)
        if found is None and ids:
            found = s.scalar(
                select(InboundMessageRow.report_id)
                .where(InboundMessageRow.message_id.in_(ids[:50]), InboundMessageRow.report_id.is_not(None))
                .limit(1)
            )
    if found is not None:
        return int(found)
    match = _REFERENCE.search(inbound.subject)
    if match is None:
        return None
    with v.db.session() as s:
        found_ref = reporter_of_reference(s, match.group(1))
    if found_ref is None:
        return None
    # A reference is easy to guess: only the report's own reporter, authenticated, adds to
    # it this way (a thread's message ids, above, cannot be guessed).
    report_id, email = found_ref
    if email and email.strip().lower() == inbound.sender and authenticate(v, raw, envelope).verdict == PASS:
        return report_id
    return None


def _reply(v: Vigie, inbound: Inbound, envelope: Envelope, report_id: int) -> Received:
    text = inbound.text or inbound.subject
    detail: dict[str, Any] = {"photos": len(inbound.photos)} if inbound.photos else {}
    # The sender's address hash, so that their erasure finds their words (a follower's reply
    # joins the report of someone else).
    sender = address_hash(inbound.sender) if inbound.sender else ""
    row = do_add_resident_message(v, report_id, text, Channel.EMAIL.value, detail, sender)
    done = Received("reply", "joined the report's history", row.id, row.reference or "")
    return _record(v, inbound, envelope.via, NONE, done)


# --- refusals ----------------------------------------------------------------------


def _refuse(v: Vigie, raw: bytes, envelope: Envelope, inbound: Inbound, why: str, **numbers: int) -> Received:
    settings = v.settings
    values = {
        "max_mb": settings.mail_inbound_max_bytes // (1024 * 1024),
        "max_photos": settings.max_photos_per_report,
        "max_photo_mb": settings.max_photo_bytes // (1024 * 1024),
        **numbers,
    }
    reason = answer_text(why, "en", v.city.name, values)[1].splitlines()[0]
    answered = False
    if inbound.sender and not inbound.automatic:
        verdict = authenticate(v, raw, envelope).verdict if why != "too_big" else NONE
        if may_answer(v, inbound.sender, verdict):
            lang = _lang(v, inbound)
            subject, body = answer_text(why, lang, v.city.name, values)
            if inbound.subject:
                subject = f"{subject} ({inbound.subject[:120]})"
            answered = queue_answer(v, inbound.sender, lang, subject, body, inbound.message_id)
    else:
        verdict = NONE
    return _record(v, inbound, envelope.via, verdict, Received("refused", reason, answered=answered))


def _lang(v: Vigie, inbound: Inbound) -> str:
    return inbound.lang if inbound.lang in v.city.languages else v.city.default_language


# --- a new report ------------------------------------------------------------------


def _new_report(v: Vigie, raw: bytes, envelope: Envelope, inbound: Inbound) -> Received:
    from vigie.photos.processing import process_photo

    settings = v.settings
    processed = []
    for n, photo in enumerate(inbound.photos, 1):
        try:
            processed.append(
                process_photo(
                    photo.data,
                    max_bytes=settings.max_photo_bytes,
                    max_pixels=settings.max_photo_pixels,
                    filename=photo.filename or f"photo {n}",
                )
            )
        except VigieError as exc:
            return _refuse_photo(v, raw, envelope, inbound, exc.message)
    text = inbound.text
    subject = re.sub(r"^\s*((re|tr|fwd?)\s*:\s*)+", "", inbound.subject, flags=re.I).strip()
    description = f"{subject}\n\n{text}".strip() if subject and subject.lower() not in text.lower() else text
    description = description[:4000]

    point, address, located = _locate(v, [p.gps for p in processed], f"{subject}\n{text}")
    suggestions = [s.service_code for s in suggest(v, f"{subject} {text}")]
    service_code = suggestions[0] if suggestions else _most_common(v)
    auth = authenticate(v, raw, envelope)
    answer = may_answer(v, inbound.sender, auth.verdict)
    sub = Submission(
        service_code=service_code,
        channel=Channel.EMAIL,
        description=description,
        lat=point[0] if point else None,
        long=point[1] if point else None,
        address=address,
        # Only an address allowed to be answered is the reporter's e-mail: the receipt
        # (reference, tracking link) and later news go there; a forged one gets nothing.
        reporter_email=inbound.sender if answer else "",
        reporter_name=inbound.sender_name,
        reporter_lang=_lang(v, inbound),
    )
    try:
        checked = check_submission(v, sub)
    except VigieError as exc:  # nothing the resident can be told to fix: the queue never saw it
        log.warning("an inbound message could not become a report: %s", exc.message)
        return _record(v, inbound, envelope.via, auth.verdict, Received("refused", exc.message))
    idem = Idempotency("email", inbound.message_id[:255], Idempotency.fingerprint_of(inbound.message_id))
    created = do_create_reports(v, checked, photos=processed or None, idempotency=idem)
    row = created.row
    others = len(inbound.others)
    reason = f"{others} attachment(s) other than photos not kept" if others else ""
    done = Received(
        "report",
        reason,
        row.id,
        row.reference or "",
        answered=answer,
        suggestions=suggestions or [service_code],
        located=located,
    )
    return _record(v, inbound, envelope.via, auth.verdict, done)


def _refuse_photo(v: Vigie, raw: bytes, envelope: Envelope, inbound: Inbound, message: str) -> Received:
    done = _refuse(v, raw, envelope, inbound, "bad_photo")
    done.reason = message[:300]
    return done


def _most_common(v: Vigie) -> str:
    """The service most reports were filed under: the model's prior, for a text it cannot read."""
    docs = ranker(v).model.class_docs
    return docs.most_common(1)[0][0] if docs else next(iter(v.catalogue.resident_services())).code


def _locate(
    v: Vigie, positions: list[tuple[float, float] | None], text: str
) -> tuple[tuple[float, float] | None, str, str]:
    """(point, address, where it came from): a photo's position in the city, else an address
    in the text, else a commune named in it, else the city's central zone (to be moved)."""
    from vigie.addresses.placing import place_of_text

    zones = v.city.zones
    for gps in positions:
        if gps is not None and zones.locate(*gps) is not None:
            return gps, "", "photo"
    names = [z.name for z in zones.zones]
    for candidate in address_candidates(text, names):
        try:
            placed = place_of_text(v, candidate)
        except VigieError:  # outside the city, or the geocoder is away
            continue
        if placed is not None:
            return (placed.lat, placed.lon), placed.label, "text"
    lowered = text.lower()
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", lowered):
            return None, name, "zone"
    centre = v.city.center
    zone = zones.locate(centre.get("lat", 0.0), centre.get("long", 0.0)) or zones.zones[0]
    return None, zone.name, "none"


def forget_sender(s: Session, event: AddressErased) -> None:
    """Subscriber (in the erasure's transaction) of ``AddressErased``: the address leaves
    the inbound messages it sent (their outcomes stay, without it)."""
    s.execute(
        update(InboundMessageRow)
        .where(func.lower(InboundMessageRow.sender) == event.address)
        .values(sender="")
        .execution_options(synchronize_session=False)
    )


__all__ = ["Envelope", "Received", "authenticate", "do_receive", "forget_sender"]
