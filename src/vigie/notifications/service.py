"""The outbox sender: delivers queued e-mails, durably and at most once.

Life of an outbox row::

    pending --claim--> sending --ok--> sent
       ^                  |
       +-- retry later ---+--refused / too many attempts / delivery unknown--> failed

* **Claim.** ``UPDATE … SET status='sending', attempts=attempts+1 WHERE id=? AND
  status='pending'``, committed before sending; only the worker whose update
  touched the row sends it, so two workers or processes never send one row.
* **Retry.** A failure that certainly did not deliver (connection refused,
  SMTP 4xx…) puts the row back to ``pending`` with an exponential backoff
  (30 s, 60 s, 120 s… capped at 1 h) until ``outbox_max_attempts``, then ``failed``.
* **Crash mid-send.** A row still ``sending`` 10 minutes after its claim was
  interrupted. The sender is asked whether it was delivered: the file
  transport knows (the ``.eml`` appears atomically), so the row becomes
  ``sent`` or goes back to ``pending``; SMTP cannot tell, so the row becomes
  ``failed`` with "delivery unknown" and is never resent on its own — an
  operator may requeue it (``retry_failed``). This is the trade-off chosen:
  *at most once* (a resident may miss a message after a crash, never gets it
  twice); a retry always reuses the row's Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult

from vigie.db import utcnow
from vigie.notifications.actions import inbound_address, new_message_id, notifications_enabled
from vigie.notifications.consent import STOPPED, stop_path
from vigie.notifications.dkim import make_signer
from vigie.notifications.sender import (
    DeliveryUnknown,
    Outgoing,
    Sender,
    SendError,
    build_message,
    describe_error,
    make_sender,
    message_bytes,
)
from vigie.notifications.storage import OutboxRow, OutboxStatus

if TYPE_CHECKING:
    from vigie.background import BackgroundService
    from vigie.runtime import Vigie
    from vigie.settings import Settings

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
STUCK_AFTER = timedelta(minutes=10)
BATCH = 100

PENDING = OutboxStatus.PENDING.value
SENDING = OutboxStatus.SENDING.value
SENT = OutboxStatus.SENT.value
FAILED = OutboxStatus.FAILED.value


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 30 s × 2^(n-1), ≤ 1 h."""
    exponent = max(attempts - 1, 0)
    seconds = BACKOFF_BASE_SECONDS * (2 ** min(exponent, 20))
    return timedelta(seconds=min(seconds, BACKOFF_CAP_SECONDS))


def _rowcount(result: Any) -> int:
    return max(cast(CursorResult[Any], result).rowcount, 0)


def _claim(v: Vigie, outbox_id: int) -> Outgoing | None:
    """Take one due row for this worker, or None if another worker has it."""
    now = utcnow()
    with v.db.session(write=True) as s:
        claimed = _rowcount(
            s.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == outbox_id,
                    OutboxRow.status == PENDING,
                    OutboxRow.next_attempt_at <= now,
                    or_(OutboxRow.expires_at.is_(None), OutboxRow.expires_at > now),
                )
                .values(status=SENDING, attempts=OutboxRow.attempts + 1, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed != 1:
            s.rollback()
            return None
        row = s.get(OutboxRow, outbox_id)
        assert row is not None
        if not row.message_id:  # stored before sending, so a retry reuses it
            row.message_id = new_message_id(v.settings.mail_from)
        item = Outgoing(
            id=row.id,
            recipient=row.recipient,
            lang=row.lang,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html,
            message_id=row.message_id,
            created_at=row.created_at,
            token=row.token,
        )
        attempts = row.attempts
        s.commit()
    log.debug("outbox %s claimed (attempt %d)", outbox_id, attempts)
    return item


def _finish(v: Vigie, outbox_id: int, **values: Any) -> None:
    with v.db.session(write=True) as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        s.commit()


def unsubscribe_urls(settings: Settings, token: str) -> tuple[str, str]:
    """``List-Unsubscribe``'s https URL (the stop link; one-click POST) and its mailto:
    a message to the city's address whose subject names the stop link to open."""
    path = stop_path(settings.secret_key, token)
    address = parseaddr(settings.unsubscribe_mailto or settings.mail_from)[1]
    return settings.public_base_url.rstrip("/") + path, f"mailto:{address}?subject={quote('stop ' + path)}"


def _deliver(v: Vigie, sender: Sender, item: Outgoing) -> bool:
    """Send one claimed row and record the outcome. True when it was sent."""
    signer = make_signer(v.settings)
    try:
        try:
            message = build_message(
                item,
                v.settings.mail_from,
                unsubscribe=unsubscribe_urls(v.settings, item.token) if item.token else None,
                one_click=signer is not None,
                reply_to=inbound_address(v.settings),
            )
            if signer is not None:
                wire = message_bytes(message)
                message.wire = signer.signature(wire) + wire
        except Exception as exc:
            raise SendError(f"cannot build the message ({type(exc).__name__})", permanent=True) from None
        sender.send(message, item.recipient, item.id)
    except Exception as exc:
        _record_failure(v, item.id, exc)
        return False
    _finish(v, item.id, status=SENT, sent_at=utcnow(), last_error=None)
    log.info("outbox %s sent via %s", item.id, sender.name)
    return True


def _record_failure(v: Vigie, outbox_id: int, exc: Exception) -> None:
    reason = describe_error(exc)
    with v.db.session(write=True) as s:
        row = s.get(OutboxRow, outbox_id)
        if row is None or row.status != SENDING:
            return
        attempts = row.attempts
        final = isinstance(exc, SendError) and exc.permanent
        if isinstance(exc, DeliveryUnknown):
            reason = f"delivery unknown, not resent: {reason}"
        if final or attempts >= v.settings.outbox_max_attempts:
            row.status = FAILED
            row.last_error = reason[:500]
            s.commit()
            log.warning("outbox %s failed after %d attempt(s): %s", outbox_id, attempts, reason)
            return
        delay = backoff(attempts)
        row.status = PENDING
        row.next_attempt_at = utcnow() + delay
        row.last_error = reason[:500]
        s.commit()
    log.warning(
        "outbox %s attempt %d failed (%s); next attempt in %ds",
        outbox_id,
        attempts,
        reason,
        int(delay.total_seconds()),
    )


def recover_interrupted(v: Vigie, sender: Sender, stuck_after: timedelta = STUCK_AFTER) -> int:
    """Settle rows left ``sending`` by a crash (claimed more than ``stuck_after`` ago)."""
    cutoff = utcnow() - stuck_after
    with v.db.session() as s:
        stuck = list(
            s.execute(
                select(OutboxRow.id, OutboxRow.message_id, OutboxRow.claimed_at).where(
                    OutboxRow.status == SENDING,
                    or_(OutboxRow.claimed_at.is_(None), OutboxRow.claimed_at < cutoff),
                )
            )
        )
    settled = 0
    for outbox_id, message_id, claimed_at in stuck:
        verdict = sender.delivered(outbox_id, message_id or "")
        if verdict is True:
            values: dict[str, Any] = {"status": SENT, "sent_at": utcnow(), "last_error": None}
            outcome = "was delivered"
        elif verdict is False:
            values = {"status": PENDING, "next_attempt_at": utcnow()}
            outcome = "was not delivered; will be sent again"
        else:
            values = {
                "status": FAILED,
                "last_error": "delivery unknown, not resent: interrupted while sending",
            }
            outcome = "may have been delivered; marked failed, not resent"
        claim_filter = (
            OutboxRow.claimed_at.is_(None) if claimed_at is None else OutboxRow.claimed_at == claimed_at
        )
        with v.db.session(write=True) as s:
            done = _rowcount(
                s.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == outbox_id, OutboxRow.status == SENDING, claim_filter)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            )
            s.commit()
        if done:
            settled += 1
            log.warning("outbox %s was interrupted while sending: %s", outbox_id, outcome)
    return settled


EXPIRED = "expired: of no use any more (too late)"  # last_error of a message past its expires_at


def expire_outdated(v: Vigie) -> int:
    """Fail the messages waiting past their ``expires_at`` (a claim never takes them either)."""
    now = utcnow()
    with v.db.session(write=True) as s:
        expired = _rowcount(
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.status == PENDING, OutboxRow.expires_at <= now)
                .values(status=FAILED, last_error=EXPIRED)
                .execution_options(synchronize_session=False)
            )
        )
        s.commit()
    if expired:
        log.info("outbox: %d message(s) expired unsent", expired)
    return expired


def due_ids(v: Vigie, limit: int) -> list[int]:
    now = utcnow()
    with v.db.session() as s:
        return list(
            s.scalars(
                select(OutboxRow.id)
                .where(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
            )
        )


def _drain(
    v: Vigie,
    limit: int,
    sender: Sender,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """One pass: (rows looked at, rows sent)."""
    recover_interrupted(v, sender)
    expire_outdated(v)
    ids = due_ids(v, limit)
    sent = 0
    for outbox_id in ids:
        if should_stop is not None and should_stop():
            break
        item = _claim(v, outbox_id)
        if item is None:
            continue  # another worker took it
        if _deliver(v, sender, item):
            sent += 1
    return len(ids), sent


def drain_outbox(
    v: Vigie,
    limit: int = BATCH,
    *,
    sender: Sender | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Send the messages that are due now (at most ``limit``); returns how many were sent.

    Synchronous; safe to run from several processes at once (``vigie outbox send``,
    the web app's worker, tests).
    """
    sender = sender or make_sender(v.settings)
    if sender is None:
        return 0
    return _drain(v, limit, sender, should_stop)[1]


def purge_outbox(v: Vigie, older_than: timedelta | None = None) -> int:
    """Delete sent and failed rows (they hold e-mail addresses) older than the retention."""
    if older_than is None:
        days = v.settings.outbox_retention_days
        if days <= 0:
            return 0
        older_than = timedelta(days=days)
    cutoff = utcnow() - older_than
    with v.db.session(write=True) as s:
        deleted = _rowcount(
            s.execute(
                delete(OutboxRow)
                .where(OutboxRow.status.in_((SENT, FAILED)), OutboxRow.created_at < cutoff)
                .execution_options(synchronize_session=False)
            )
        )
        s.commit()
    if deleted:
        log.info("outbox: %d old message(s) deleted", deleted)
    return deleted


def retry_failed(v: Vigie, ids: list[int] | None = None) -> int:
    """Put failed rows (all, or those ids) back in the queue for a fresh series of attempts.

    Never a message its recipient stopped (``consent.do_stop``): stopping is final.
    """
    stmt = update(OutboxRow).where(
        OutboxRow.status == FAILED,
        or_(OutboxRow.last_error.is_(None), OutboxRow.last_error != STOPPED),
    )
    if ids is not None:
        stmt = stmt.where(OutboxRow.id.in_(ids))
    with v.db.session(write=True) as s:
        n = _rowcount(
            s.execute(
                stmt.values(
                    status=PENDING, attempts=0, next_attempt_at=utcnow(), claimed_at=None
                ).execution_options(synchronize_session=False)
            )
        )
        s.commit()
    log.info("outbox: %d failed message(s) queued again", n)
    return n


def outbox_counts(v: Vigie) -> dict[str, int]:
    """Rows per status (for `vigie outbox status` and monitoring)."""
    with v.db.session() as s:
        rows = s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
        counts = {status.value: 0 for status in OutboxStatus}
        counts.update({str(status): int(n) for status, n in rows})
    return counts


class OutboxWorker:
    """Background service: polls the outbox every ``outbox_poll_seconds`` and sends."""

    name = "notifications.outbox"

    def __init__(self, v: Vigie, sender: Sender) -> None:
        self.v = v
        self.sender = sender
        self._stopping = threading.Event()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_purge: datetime | None = None

    async def start(self) -> None:
        self._stopping.clear()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=self.name)
        log.info("outbox sender started (%s)", self.sender.name)

    def wake(self) -> None:
        """Look for due messages now instead of at the next poll."""
        if self._wake is not None:
            self._wake.set()

    def _pass(self) -> None:
        while not self._stopping.is_set():
            seen, _ = _drain(self.v, BATCH, self.sender, self._stopping.is_set)
            if seen < BATCH:
                break
        now = utcnow()
        if self._last_purge is None or now - self._last_purge > timedelta(hours=1):
            self._last_purge = now
            purge_outbox(self.v)

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await asyncio.to_thread(self._pass)
            except Exception as exc:  # keep going: the database may be back next time
                log.error("outbox pass failed: %s", describe_error(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=max(self.v.settings.outbox_poll_seconds, 0.05)
                )

    async def stop(self) -> None:
        self._stopping.set()
        self.wake()
        task, self._task = self._task, None
        if task is None:
            return
        # The current message finishes (each SMTP step is bounded by its timeout).
        grace = self.v.settings.smtp_timeout_seconds * 4 + 5
        try:
            await asyncio.wait_for(task, timeout=grace)
        except TimeoutError:
            log.warning("outbox sender did not stop within %ds", int(grace))
        log.info("outbox sender stopped")


def make_background(v: Vigie) -> list[BackgroundService]:
    if not notifications_enabled(v.settings):
        return []
    sender = make_sender(v.settings)
    make_signer(v.settings)  # a DKIM key that cannot be read stops the start, not each message
    return [OutboxWorker(v, sender)] if sender is not None else []


__all__ = [
    "OutboxWorker",
    "make_background",
    "drain_outbox",
    "recover_interrupted",
    "purge_outbox",
    "retry_failed",
    "outbox_counts",
    "backoff",
]


def outbox_backlog(s: Any) -> dict[str, int]:
    """E-mails waiting (``pending``) and being sent now (``sending``): the metrics' backlog."""
    waiting = [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
    query = select(OutboxRow.status, func.count()).where(OutboxRow.status.in_(waiting))
    # Not dict(result): a Result has keys() (its columns), which dict() would take for a mapping's.
    found = {status: n for status, n in s.execute(query.group_by(OutboxRow.status))}
    return {status: int(found.get(status, 0)) for status in waiting}
