"""Notifications to residents: queue e-mails in the outbox.

Subscribed (by ``vigie.bootstrap``) to the reports' changes *inside* their
transaction, so a queued message commits or rolls back with the change that
caused it (outbox pattern). Nothing
here sends anything or commits: the outbox worker (``service.py``) sends later.

What is announced: a status change (or a new report) for which the report's
treatment procedure has a message template (``Procedure.messages[status]``).
Who: the reporter (if they left an e-mail) and every follower with an e-mail,
once per distinct address, each in their own language with their own tracking
link. ``dedupe_key`` (unique) makes it impossible to queue the same message
twice, even if a hook runs twice for one change.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import CursorResult

from vigie.catalogue.domain import Procedure
from vigie.db import utcnow
from vigie.errors import ConfigProblem, ConfigurationError
from vigie.notifications import consent
from vigie.notifications.digest import Update, add_to_waiting, changes_json
from vigie.notifications.messages import (
    WORDS,
    Composed,
    compose_confirmation,
    compose_digest,
    compose_receipt,
    ui_lang,
)
from vigie.notifications.storage import MailKind, OutboxRow, OutboxStatus
from vigie.reports.tracking import shown_in_full
from vigie.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vigie.events.changes import ReportChanged, ReportCreated, ReportFollowed
    from vigie.reports.storage import FollowerRow, ReportRow, ReportUpdateRow
    from vigie.runtime import Vigie

log = logging.getLogger(__name__)

TRANSPORTS = ("file", "smtp", "none")


def transport_of(settings: Settings) -> str:
    transport = settings.notify_transport.strip().lower()
    if transport not in TRANSPORTS:
        raise ConfigurationError(
            [
                ConfigProblem(
                    "environment",
                    None,
                    "VIGIE_NOTIFY_TRANSPORT",
                    f"'{settings.notify_transport}' is not one of {', '.join(TRANSPORTS)}",
                )
            ]
        )
    return transport


def notifications_enabled(settings: Settings) -> bool:
    return transport_of(settings) != "none"


def new_message_id(mail_from: str) -> str:
    """A globally unique Message-ID in the sender's domain (no host name, no pid)."""
    address = parseaddr(mail_from)[1]
    domain = address.rpartition("@")[2] or "vigie.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def inbound_address(settings: Settings) -> str:
    """The city's mailbox residents write to, when Vigie receives e-mail (else "")."""
    if settings.mail_inbound.strip().lower() in ("", "none"):
        return ""
    return settings.mail_inbound_address or parseaddr(settings.mail_from)[1]


def own_addresses(settings: Settings) -> frozenset[str]:
    """Addresses Vigie writes from or receives at: mail from them is a loop, never answered."""
    found = {parseaddr(settings.mail_from)[1], settings.mail_inbound_address, settings.unsubscribe_mailto}
    return frozenset(a.strip().lower() for a in found if a and "@" in a)


def report_of_thread(s: Session, message_ids: list[str]) -> int | None:
    """The report an e-mail Vigie sent (one of ``message_ids``, without brackets) was about."""
    if not message_ids:
        return None
    wanted = [f"<{m}>" for m in message_ids[:50]]
    return s.scalar(
        select(OutboxRow.report_id)
        .where(OutboxRow.message_id.in_(wanted), OutboxRow.report_id.is_not(None))
        .limit(1)
    )


def may_answer(v: Vigie, email: str, verdict: str) -> bool:
    """Whether Vigie may write to the sender of an inbound message (``verdict``: SPF/DKIM/DMARC).

    Authenticated (``pass``): yes. Forged (``fail``): never. Cannot tell
    (``none``): only an address that confirmed e-mails from Vigie before.
    """
    if "@" not in email or verdict == "fail" or not notifications_enabled(v.settings):
        return False
    if verdict == "pass":
        return True
    with v.db.session() as s:
        return consent.ever_confirmed(s, email)


def queue_answer(v: Vigie, recipient: str, lang: str, subject: str, body: str, cause: str) -> bool:
    """Queue one plain answer to an inbound message (a refusal and its reason).

    The caller has checked :func:`may_answer`. An address that never confirmed
    counts against its daily cap, one that stopped these answers (their stop link,
    for ``resident_link_stop_days``) gets none; ``cause`` (the inbound message's id)
    makes a second delivery of the same message queue nothing. True if queued.
    """
    if not notifications_enabled(v.settings):
        return False
    days = v.settings.resident_link_stop_days
    with v.db.session(write=True) as s:
        if consent.asked_stopped_until(s, recipient, consent.ANSWER_PREFIX, days) is not None:
            return False  # the address's owner stopped these answers (it lapses)
        if not consent.ever_confirmed(s, recipient) and consent.take_unconfirmed(v, recipient) > 0:
            return False
        now = utcnow()
        key = dedupe_key("in:" + hashlib.sha256(cause.encode()).hexdigest()[:40], recipient)
        # Its stop link and List-Unsubscribe, like every Vigie e-mail.
        subscription = consent.asked_subscription(s, recipient, consent.ANSWER_PREFIX)
        stop = stop_link(v.settings, subscription)
        body = f"{body}\n\n{WORDS[ui_lang(lang, v.city.default_language)]['stop']}\n{stop}"
        _insert_ignoring_duplicates(
            s,
            [
                {
                    "report_id": None,
                    "recipient": recipient,
                    "lang": lang,
                    "subject": subject[:500],
                    "body_text": body,
                    "body_html": None,
                    "status": OutboxStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "dedupe_key": key,
                    "created_at": now,
                    "message_id": new_message_id(v.settings.mail_from),
                    "kind": MailKind.ANSWER.value,
                    "token": subscription,
                }
            ],
        )
        # Read back rather than trusting the driver's row count (-1 for a batch on psycopg).
        queued = s.scalar(select(OutboxRow.id).where(OutboxRow.dedupe_key == key)) is not None
        s.commit()
    return queued


def queue_message(
    v: Vigie,
    s: Session,
    *,
    recipient: str,
    lang: str,
    message: Composed,
    kind: MailKind,
    cause: str,
    token: str | None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue one message another context composed (a resident's sign-in link, a collection
    reminder), in the caller's transaction ``s``. ``cause`` names it once: queuing the same
    cause for the same address again does nothing. ``token`` is the subscription whose stop
    link and List-Unsubscribe the message carries (None: a message asked for once);
    ``expires_at``, when it is of no use any more (never sent after). The caller applies
    the e-mail policy (confirmed addresses, caps). True if queued now."""
    if not notifications_enabled(v.settings):
        return False
    now = utcnow()
    key = dedupe_key(cause, recipient)
    # Looked up first: psycopg's row count of the insert is -1, whether it inserted or not.
    if s.scalar(select(OutboxRow.id).where(OutboxRow.dedupe_key == key)) is not None:
        return False
    _insert_ignoring_duplicates(
        s,
        [
            {
                "report_id": None,
                "recipient": recipient,
                "lang": ui_lang(lang, v.city.default_language),
                "subject": message.subject[:500],
                "body_text": message.body_text,
                "body_html": message.body_html,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "dedupe_key": key,
                "created_at": now,
                "message_id": new_message_id(v.settings.mail_from),
                "kind": kind.value,
                "token": token,
                "expires_at": expires_at,
            }
        ],
    )
    return True


def forget_messages(s: Session, email: str, kinds: list[MailKind]) -> int:
    """Empty the messages of ``kinds`` to ``email`` (a resident deleted their account): the
    rows stay as tombstones, those not sent yet are dropped. In the caller's transaction."""
    address = email.strip().casefold()
    result = s.execute(
        update(OutboxRow)
        .where(func.lower(OutboxRow.recipient) == address, OutboxRow.kind.in_([k.value for k in kinds]))
        .values(recipient="", subject="", body_text="", body_html=None, changes=None)
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(OutboxRow)
        .where(
            OutboxRow.recipient == "",
            OutboxRow.status == OutboxStatus.PENDING.value,
            OutboxRow.kind.in_([k.value for k in kinds]),
        )
        .values(status=OutboxStatus.FAILED.value, last_error="erased with the resident's account")
        .execution_options(synchronize_session=False)
    )
    return max(cast(CursorResult[Any], result).rowcount, 0)


def tracking_link(settings: Settings, token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/suivi/{token}"


def stop_link(settings: Settings, token: str) -> str:
    return settings.public_base_url.rstrip("/") + consent.stop_path(settings.secret_key, token)


def dedupe_key(cause: str, email: str) -> str:
    """``cause`` names the change ("u<update id>"); the address is hashed, not stored here."""
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:40]
    return f"{cause}:{digest}"


@dataclass(frozen=True)
class Recipient:
    email: str
    lang: str
    token: str
    follower: bool  # False for the report's own reporter, through the report's own token


def procedure_of(v: Vigie, row: ReportRow) -> Procedure | None:
    """The report's procedure; if the catalogue no longer has it, the one that applies now."""
    found = v.catalogue.procedure(row.procedure_id)
    if found is not None:
        return found
    try:
        return v.catalogue.resolve(row.service_code, row.zone, row.attributes or {})
    except Exception:  # a service removed from the catalogue: nothing to announce
        return None


def recipients_of(s: Session, row: ReportRow) -> list[Recipient]:
    """Reporter first, then followers, those whose address confirmed (``consent``) and did
    not stop; one entry per distinct address."""
    from vigie.reports.lookups import followers_with_email

    out: list[Recipient] = []
    seen: set[str] = set()

    def add(email: str, lang: str, token: str, follower: bool) -> None:
        email = (email or "").strip()
        key = email.casefold()
        if not email or "@" not in email or key in seen:
            return
        seen.add(key)
        out.append(Recipient(email, lang or "", token, follower))

    followers = followers_with_email(s, row.id)
    allowed = consent.allowed_tokens(s, [row.token] + [f.token for f in followers])
    if row.token in allowed:
        add(row.reporter_email, row.reporter_lang, row.token, False)
    for f in followers:
        if f.token in allowed:
            add(f.email, f.lang, f.token, True)
    return out


def queue_announcement(
    v: Vigie,
    s: Session,
    row: ReportRow,
    status: str,
    cause: str,
    note: str = "",
) -> int:
    """Queue the message announcing ``status`` on ``row`` to everyone concerned.

    Returns how many new messages were queued (0 when the procedure has no template
    for this status, nobody left an e-mail, they were already queued, or the change
    was added to updates still waiting in their digest window: ``digest.py``).
    """
    if not notifications_enabled(v.settings):
        return 0
    procedure = procedure_of(v, row)
    if procedure is None or status not in procedure.messages:
        return 0
    recipients = recipients_of(s, row)
    if not recipients:
        return 0

    from vigie.reports.lookups import report_in

    merged_into: str | None = None
    if status == "duplicate" and row.duplicate_of_id is not None:
        keep = report_in(s, row.duplicate_of_id)
        merged_into = keep.reference if keep is not None else None
        if merged_into and note == f"Fusionné avec le signalement {merged_into}":
            note = ""  # the default note of a merge says the same, in French only

    settings = v.settings
    now = utcnow()
    window = timedelta(minutes=settings.mail_digest_minutes)
    service = v.catalogue.service(row.service_code)
    updates: list[Update] = []
    for r in recipients:
        lang = ui_lang(r.lang, v.city.default_language)
        # The tracking rule (reports.tracking): a non-public report is told in full to its
        # own reporter only; anyone else learns its reference and status, as on their page.
        in_full = shown_in_full(row, own=not r.follower)
        common = {
            "lang": lang,
            "city": v.city.name,
            "contact": v.city.contact,
            "reference": row.reference or str(row.id),
            "service": (service.name.get(lang) if service else row.service_code) if in_full else "",
            "link": tracking_link(settings, r.token),
            "follower": r.follower,
            "stop_link": stop_link(settings, r.token),
            "place": _place(v, row) if in_full else "",
        }
        change = {
            "status": status,
            "template": (procedure.message(status, lang) or "") if in_full else "",
            "note": note if in_full else "",
            "merged_into": merged_into or "",
        }
        updates.append(Update(r.token, r.email, common, change))
    values: list[dict[str, Any]] = []
    for u in add_to_waiting(s, updates, cause, now, window):
        msg = compose_digest(changes=[u.change], **u.common)
        values.append(
            {
                "report_id": row.id,
                "recipient": u.email,
                "lang": u.common["lang"],
                "subject": msg.subject[:500],
                "body_text": msg.body_text,
                "body_html": msg.body_html,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now + window,
                "dedupe_key": dedupe_key(cause, u.email),
                "created_at": now,
                "message_id": new_message_id(settings.mail_from),
                "kind": MailKind.UPDATE.value,
                "token": u.token,
                "changes": changes_json(u, cause),
            }
        )
    queued = _insert_ignoring_duplicates(s, values)
    log.info("queued %d notification(s) for report %s (%s, %s)", queued, row.id, status, cause)
    return queued


_OUTBOX = cast(Table, OutboxRow.__table__)


def _outbox_insert(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])


_INSERTS: dict[str, Any] = {d: _outbox_insert(d) for d in ("sqlite", "postgresql")}


def _insert_ignoring_duplicates(s: Session, values: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING, inside the caller's transaction."""
    if not values:
        return 0
    dialect = s.get_bind().dialect.name
    if dialect in _INSERTS:
        # One statement compiled once per process and given the rows as parameters: a
        # statement holding its rows as literals was compiled anew for every message
        # (4 ms of a 10 ms receipt, bench/bench_mail.py).
        result = cast(CursorResult[Any], s.connection().execute(_INSERTS[dialect], values))
        return max(result.rowcount, 0)
    # Other databases: skip the keys already there (same transaction, so no race
    # for one change: a change's id is unique).
    keys = [val["dedupe_key"] for val in values]
    existing = set(s.scalars(select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.in_(keys))))
    fresh = [val for val in values if val["dedupe_key"] not in existing]
    for val in fresh:
        s.add(OutboxRow(**val))
    s.flush()
    return len(fresh)


def on_follow(v: Vigie, s: Session, row: ReportRow, follower: FollowerRow) -> None:
    """A resident asked to follow ``row`` by e-mail: ask that address to confirm.

    Inside the follow's transaction. The follower gets nothing else until the link is used.
    Past the address's daily cap of messages to unconfirmed addresses nothing is queued and
    the follow keeps no address (a follow by its token only), silently: the cap is shared
    with the receipts of the address's reports, and a refusal told anyone typing the address
    that it had reported today. The per-client limit of follows still answers 429.
    """
    if not notifications_enabled(v.settings) or "@" not in (follower.email or ""):
        return
    if consent.take_unconfirmed(v, follower.email) > 0:
        # An address that can never be asked to confirm would never be written to: not kept.
        follower.email = ""
        log.info("follow confirmation not queued for report %s: the address's daily cap is reached", row.id)
        return
    consent.add_consent(s, follower.token, follower.email)
    if follower.id is None:
        s.flush()
    settings = v.settings
    lang = ui_lang(follower.lang, v.city.default_language)
    link = settings.public_base_url.rstrip("/") + consent.confirm_path(settings.secret_key, follower.token)
    msg = compose_confirmation(
        lang=lang,
        city=v.city.name,
        contact=v.city.contact,
        reference=row.reference or str(row.id),
        link=link,
        stop_link=stop_link(settings, follower.token),
    )
    now = utcnow()
    _insert_ignoring_duplicates(
        s,
        [
            {
                "report_id": row.id,
                "recipient": follower.email,
                "lang": lang,
                "subject": msg.subject[:500],
                "body_text": msg.body_text,
                "body_html": msg.body_html,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "dedupe_key": dedupe_key(f"f{follower.id}:confirm", follower.email),
                "created_at": now,
                "message_id": new_message_id(settings.mail_from),
                "kind": MailKind.CONFIRM.value,
                "token": follower.token,
            }
        ],
    )
    log.info("queued a follow confirmation for report %s (follower %s)", row.id, follower.id)


def creation_announced(v: Vigie, row: ReportRow) -> bool:
    """Whether :func:`on_report_created` writes anything for this new report.

    A report made with an address gets a receipt (which also asks the address to
    confirm). Intake asks first so that a report with nothing to queue can be
    written in one statement.
    """
    if row.channel == "import" or row.status != "new":
        return False  # history brought in from another system is not announced
    return notifications_enabled(v.settings) and "@" in (row.reporter_email or "")


def on_report_created(v: Vigie, s: Session, row: ReportRow) -> None:
    """Queue the receipt of a new report, in its transaction.

    The reporter's subscription is confirmed at once if the address ever confirmed
    one; otherwise the receipt holds the link to confirm it, and counts against the
    address's daily cap of messages to unconfirmed addresses (past it, the report is
    taken and no receipt is sent).
    """
    if not creation_announced(v, row):
        return
    email = row.reporter_email.strip()
    known = consent.ever_confirmed(s, email)
    consent.add_consent(s, row.token, email, confirmed=known)
    if not known:
        wait = consent.take_unconfirmed(v, email)
        if wait > 0:
            log.info("no receipt for report %s: its address reached its daily cap", row.id)
            return
    settings = v.settings
    base = settings.public_base_url.rstrip("/")
    lang = ui_lang(row.reporter_lang, v.city.default_language)
    procedure = procedure_of(v, row)
    service = v.catalogue.service(row.service_code)
    msg = compose_receipt(
        lang=lang,
        city=v.city.name,
        contact=v.city.contact,
        reference=row.reference or str(row.id),
        service=service.name.get(lang) if service else row.service_code,
        template=(procedure.message("new", lang) or "") if procedure else "",
        link=tracking_link(settings, row.token),
        confirm_link=None if known else base + consent.confirm_path(settings.secret_key, row.token),
        stop_link=stop_link(settings, row.token),
    )
    now = utcnow()
    _insert_ignoring_duplicates(
        s,
        [
            {
                "report_id": row.id,
                "recipient": email,
                "lang": lang,
                "subject": msg.subject[:500],
                "body_text": msg.body_text,
                "body_html": msg.body_html,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "dedupe_key": dedupe_key(f"r{row.id}:new", email),
                "created_at": now,
                "message_id": new_message_id(settings.mail_from),
                "kind": MailKind.RECEIPT.value,
                "token": row.token,
            }
        ],
    )


# How far along a report looks to a resident; a reopening starts a new round.
PROGRESS = {
    "new": 0,
    "acknowledged": 1,
    "assigned": 2,
    "in_progress": 3,
    "resolved": 4,
    "rejected": 4,
    "duplicate": 4,
}


def _moves_forward(s: Session, report_id: int, update_id: int, status: str) -> bool:
    """Whether ``status`` goes further than every status reached since the last reopening.

    A step back (the crew must come again: ``in_progress`` → ``assigned``) and a
    status the resident was already told are not announced: to them, a report
    never goes backwards (issue 14 §5).
    """
    from vigie.reports.lookups import statuses_before

    if status not in PROGRESS:
        return True
    earlier = statuses_before(s, report_id, update_id)
    reached = 0
    for previous in earlier:
        if previous == "reopened":
            break
        reached = max(reached, PROGRESS.get(previous, 0))
    return PROGRESS[status] > reached


def on_report_update(v: Vigie, s: Session, row: ReportRow, update: ReportUpdateRow) -> None:
    """Queue the messages a report change announces to its reporter and followers.

    Only status changes that move the report forward are announced (an assignment
    to another team of an already assigned report, a move, a requalification or a
    step back are not).
    """
    if update.previous_status is None or update.status == update.previous_status:
        return
    if update.id is None:
        s.flush()
    if not _moves_forward(s, row.id, update.id, update.status):
        return
    queue_announcement(v, s, row, update.status, cause=f"u{update.id}", note=update.public_note or "")


def _place(v: Vigie, row: ReportRow) -> str:
    if row.address:
        return str(row.address)
    zone = v.city.zones.by_code.get(row.zone)
    return zone.name if zone is not None else ""


def announce_new_report(v: Vigie, s: Session, event: ReportCreated) -> None:
    """Subscriber (in the report's transaction) of ``ReportCreated``."""
    on_report_created(v, s, event.report)


def announces_new_report(v: Vigie, event: ReportCreated) -> bool:
    return creation_announced(v, event.report)


def ask_follower_to_confirm(v: Vigie, s: Session, event: ReportFollowed) -> None:
    """Subscriber (in the follow's transaction) of ``ReportFollowed``."""
    on_follow(v, s, event.report, event.follower)


def announce_change(v: Vigie, s: Session, event: ReportChanged) -> None:
    """Subscriber (in the change's transaction) of ``ReportChanged``."""
    on_report_update(v, s, event.report, event.update)


__all__ = [
    "MailKind",
    "forget_messages",
    "queue_message",
    "inbound_address",
    "may_answer",
    "own_addresses",
    "queue_answer",
    "report_of_thread",
    "announce_change",
    "announce_new_report",
    "announces_new_report",
    "ask_follower_to_confirm",
    "creation_announced",
    "on_follow",
    "on_report_created",
    "on_report_update",
    "queue_announcement",
    "recipients_of",
    "notifications_enabled",
    "transport_of",
    "tracking_link",
    "new_message_id",
]
