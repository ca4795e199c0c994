"""Residents' consent to e-mails: confirmation of a follow, stop links, limits per address.

Anyone can type any address into a form, so an address is written to only
once it has shown it wants to be (issue 15). A follow by e-mail gets one
message asking to confirm, and nothing else until its link is used; messages
to an address that never confirmed anything are capped per day through the
limits seam, so that Vigie cannot be used to flood someone's mailbox.

Links carry a code, ``HMAC(secret_key, purpose:token)``: only the e-mail
holds it (the tracking token alone, which the person who typed the address
also has, is not enough). Changing ``VIGIE_SECRET_KEY`` voids the links
already sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from vigie.db import utcnow
from vigie.errors import Conflict, NotFound
from vigie.limits.store import store_of
from vigie.notifications.storage import ConsentRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vigie.runtime import Vigie

DAY = 86400.0
CONFIRM = "confirm"
STOP = "stop"
MERGED_SUFFIX = ".m"  # reports.actions.do_merge: the duplicate's reporter follows the kept report
STOPPED = "stopped by the recipient"  # last_error of the messages a stop link dropped
# Subscriptions that are not a report's: a resident's waste collection reminder (vigie.residents);
# its stop page speaks of the reminder.
REMINDER_PREFIX = "wr-"
# Messages someone asks for with an address (anyone may type it): a sign-in link
# (vigie.residents), an erasure confirmation, an answer to an e-mail the city received, a
# reuser's API key confirmation (vigie.reusers). One
# subscription per address and kind; its stop holds for ``resident_link_stop_days`` only (a
# stop for good would lock the owner out of their account, or of their erasure).
SIGN_IN_PREFIX = "si-"
ERASURE_PREFIX = "er-"
ANSWER_PREFIX = "an-"
KEY_PREFIX = "ky-"
ASKED = (SIGN_IN_PREFIX, ERASURE_PREFIX, ANSWER_PREFIX, KEY_PREFIX)


def address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def link_code(secret: str, purpose: str, token: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def check_code(secret: str, purpose: str, token: str, code: str) -> None:
    if not hmac.compare_digest(link_code(secret, purpose, token).encode(), code.encode()):
        raise NotFound("this link is not valid (it may have been copied incompletely)")


def confirm_path(secret: str, token: str) -> str:
    return f"/courriel/confirmer/{token}/{link_code(secret, CONFIRM, token)}"


def stop_path(secret: str, token: str) -> str:
    return f"/courriel/arreter/{token}/{link_code(secret, STOP, token)}"


def take_unconfirmed(v: Vigie, email: str) -> float:
    """Count one message to an address that never confirmed: 0.0, or the seconds to wait
    when the daily cap is reached (the message is then not counted)."""
    per_day = v.settings.mail_unconfirmed_per_day
    if per_day <= 0:
        return DAY
    return store_of(v).take(f"mail:unconfirmed:{address_hash(email)[:40]}", per_day, DAY)


def ever_confirmed(s: Session, email: str) -> bool:
    found = s.scalar(
        select(ConsentRow.id)
        .where(ConsentRow.address_hash == address_hash(email), ConsentRow.confirmed_at.is_not(None))
        .limit(1)
    )
    return found is not None


def add_consent(s: Session, token: str, email: str, confirmed: bool = False) -> None:
    """A subscription, waiting for its address to confirm unless ``confirmed`` (in the
    caller's transaction)."""
    now = utcnow()
    s.add(
        ConsentRow(
            token=token,
            address_hash=address_hash(email),
            confirmed_at=now if confirmed else None,
            created_at=now,
        )
    )


def allowed_tokens(s: Session, tokens: list[str]) -> set[str]:
    """Among subscriptions' ``tokens``, those whose address confirmed and did not stop.

    A follower whose token ends in ``.m`` is the reporter of a report merged into
    this one: without a row of its own, their consent as that report's reporter holds.
    """
    if not tokens:
        return set()
    wanted = set(tokens) | {t.removesuffix(MERGED_SUFFIX) for t in tokens if t.endswith(MERGED_SUFFIX)}
    rows = s.execute(
        select(ConsentRow.token, ConsentRow.confirmed_at, ConsentRow.stopped_at).where(
            ConsentRow.token.in_(sorted(wanted))
        )
    ).all()
    ok = {token: confirmed is not None and stopped is None for token, confirmed, stopped in rows}
    out: set[str] = set()
    for token in tokens:
        found = ok.get(token)
        if found is None and token.endswith(MERGED_SUFFIX):
            found = ok.get(token.removesuffix(MERGED_SUFFIX))
        if found:
            out.add(token)
    return out


def asked_subscription(s: Session, email: str, prefix: str) -> str:
    """The token of ``email``'s subscription for one kind of message asked with the address
    (``prefix``: :data:`ASKED`), made at its first message (in the caller's transaction). Its
    stop link is in every such message to the address; the token is random, so once erasure
    empties the address's hash nothing ties it to the address."""
    digest = address_hash(email)
    found = s.scalar(
        select(ConsentRow.token)
        .where(ConsentRow.address_hash == digest, ConsentRow.token.startswith(prefix))
        .order_by(ConsentRow.id)
        .limit(1)
    )
    if found is not None:
        return str(found)
    token = prefix + secrets.token_urlsafe(24)
    add_consent(s, token, email)
    return token


def asked_tokens(s: Session, email: str, prefix: str) -> list[str]:
    """``email``'s subscriptions of one kind (one, or more if two first messages raced)."""
    return list(
        s.scalars(
            select(ConsentRow.token).where(
                ConsentRow.address_hash == address_hash(email), ConsentRow.token.startswith(prefix)
            )
        )
    )


def asked_stopped_until(s: Session, email: str, prefix: str, days: int) -> datetime | None:
    """Until when messages of one kind to ``email`` stay stopped (None: they may be sent)."""
    latest = s.scalar(
        select(func.max(ConsentRow.stopped_at)).where(
            ConsentRow.address_hash == address_hash(email), ConsentRow.token.startswith(prefix)
        )
    )
    if latest is None:
        return None
    until: datetime = latest + timedelta(days=days)
    return until if until > utcnow() else None


def check_asked_not_stopped(v: Vigie, email: str, prefix: str, what: str) -> None:
    """Conflict while the messages of one kind to ``email`` (``what``: "sign-in link"…) stay
    stopped. Anyone who received one may have stopped them, so the answer tells nothing about
    accounts or keys; the stop lapses, so the address's owner is never refused for good."""
    days = v.settings.resident_link_stop_days
    with v.db.session() as s:
        stopped = asked_stopped_until(s, email, prefix, days)
    if stopped is not None:
        raise Conflict(
            f"no {what} can be sent to this address now: they were stopped from the stop "
            f"link of one of them, for {days} days",
            field="email",
        )


def is_stopped(v: Vigie, row: ConsentRow) -> bool:
    """Whether the subscription ``row`` is stopped now: for good, except the stop of messages
    asked with an address (:data:`ASKED`), which lapses after ``resident_link_stop_days``."""
    if row.stopped_at is None:
        return False
    if not row.token.startswith(ASKED):
        return True
    return row.stopped_at + timedelta(days=v.settings.resident_link_stop_days) > utcnow()


def do_confirm(v: Vigie, token: str, code: str) -> bool:
    """Confirm the subscription ``token`` from the link's ``code``; False if it already was."""
    check_code(v.settings.secret_key, CONFIRM, token, code)
    with v.db.session(write=True) as s:
        row = s.scalar(select(ConsentRow).where(ConsentRow.token == token))
        if row is None:
            raise NotFound("nothing to confirm for this link")
        if row.confirmed_at is not None:
            return False
        row.confirmed_at = utcnow()
        s.commit()
    return True


def do_stop(v: Vigie, token: str, code: str) -> bool:
    """Stop the e-mails of subscription ``token`` from the link's ``code``; False if they
    already were. Messages to it not sent yet are dropped (``failed``, "stopped")."""
    from sqlalchemy import update

    from vigie.notifications.storage import OutboxRow, OutboxStatus

    check_code(v.settings.secret_key, STOP, token, code)
    now = utcnow()
    with v.db.session(write=True) as s:
        row = s.scalar(select(ConsentRow).where(ConsentRow.token == token))
        if row is not None and is_stopped(v, row):
            return False
        tokens = [token]
        if row is None:  # a subscription older than consents: it stops all the same
            s.add(ConsentRow(token=token, address_hash="", stopped_at=now, created_at=now))
        else:
            row.stopped_at = now
            if token.startswith(REMINDER_PREFIX) and row.address_hash:
                # An address gets one reminder e-mail an evening, listing all its reminders
                # (vigie.residents): its stop link stops that e-mail, so all of them.
                tokens += list(
                    s.scalars(
                        select(ConsentRow.token).where(
                            ConsentRow.address_hash == row.address_hash,
                            ConsentRow.token.startswith(REMINDER_PREFIX),
                            ConsentRow.stopped_at.is_(None),
                        )
                    )
                )
                s.execute(
                    update(ConsentRow)
                    .where(ConsentRow.token.in_(tokens), ConsentRow.stopped_at.is_(None))
                    .values(stopped_at=now)
                    .execution_options(synchronize_session=False)
                )
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.token.in_(tokens), OutboxRow.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.FAILED.value, last_error=STOPPED)
            .execution_options(synchronize_session=False)
        )
        s.commit()
    return True


def do_resume(v: Vigie, token: str, code: str) -> None:
    """Undo the stop of messages asked with an address (:data:`ASKED`) before its period
    ends, from the same link (``code`` of the stop link: only the mailbox that received one
    holds it). The others' stops are final, or asked again from the account."""
    check_code(v.settings.secret_key, STOP, token, code)
    if not token.startswith(ASKED):
        raise NotFound("only messages asked with an address can be resumed from this link")
    with v.db.session(write=True) as s:
        row = s.scalar(select(ConsentRow).where(ConsentRow.token == token))
        if row is None or not row.address_hash:
            raise NotFound("nothing to resume for this link")
        row.stopped_at = None
        s.commit()


def drop_subscriptions(s: Session, tokens: list[str]) -> None:
    """Subscriptions that end with what they belonged to (a resident's reminders, with their
    account): stopped, the address's hash emptied, their messages not sent yet dropped. In
    the caller's transaction."""
    from sqlalchemy import update

    from vigie.notifications.storage import OutboxRow, OutboxStatus

    if not tokens:
        return
    now = utcnow()
    s.execute(
        update(ConsentRow)
        .where(ConsentRow.token.in_(tokens))
        .values(address_hash="", stopped_at=func.coalesce(ConsentRow.stopped_at, now))
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(OutboxRow)
        .where(OutboxRow.token.in_(tokens), OutboxRow.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.FAILED.value, last_error=STOPPED)
        .execution_options(synchronize_session=False)
    )


def stopped_tokens(s: Session, tokens: list[str]) -> set[str]:
    """Among ``tokens``, the subscriptions whose recipient used the stop link."""
    if not tokens:
        return set()
    return set(
        s.scalars(
            select(ConsentRow.token).where(ConsentRow.token.in_(tokens), ConsentRow.stopped_at.is_not(None))
        )
    )


def consent_state(v: Vigie, token: str, purpose: str, code: str) -> ConsentRow:
    """The subscription a link leads to, after checking its code."""
    check_code(v.settings.secret_key, purpose, token, code)
    with v.db.session() as s:
        row = s.scalar(select(ConsentRow).where(ConsentRow.token == token))
    if row is None:
        if purpose == STOP:  # a subscription older than consents
            return ConsentRow(token=token, address_hash="")
        raise NotFound("nothing to confirm for this link")
    return row


__all__ = [
    "address_hash",
    "add_consent",
    "allowed_tokens",
    "confirm_path",
    "consent_state",
    "do_confirm",
    "do_resume",
    "do_stop",
    "drop_subscriptions",
    "is_stopped",
    "asked_stopped_until",
    "check_asked_not_stopped",
    "asked_subscription",
    "asked_tokens",
    "stopped_tokens",
    "stop_path",
    "ever_confirmed",
    "link_code",
    "take_unconfirmed",
]
