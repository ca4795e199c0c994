"""The digest window: changes to a report close together are told in one e-mail.

An update is queued ``VIGIE_MAIL_DIGEST_MINUTES`` ahead (``next_attempt_at``).
A change that comes while it still waits (``pending``, never tried) is added
to it instead of queued apart: the row's ``changes`` (JSON) gain it, its text
is written again from all of them, and its time moves to a window after this
change — but no later than six windows after the first, so that a report that
keeps moving is still told. All of it happens in the change's transaction, in
the outbox: a restart loses nothing, and the worker sends the row whole once
it is due. The row is locked while it is rewritten (PostgreSQL ``FOR UPDATE``;
SQLite has one writer), so two changes at once cannot drop each other's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from vigie.notifications.messages import compose_digest
from vigie.notifications.storage import MailKind, OutboxRow, OutboxStatus

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

MAX_WINDOWS = 6


@dataclass(frozen=True)
class Update:
    """One change to tell one recipient: ``common`` are :func:`compose`'s other arguments."""

    token: str
    email: str
    common: dict[str, Any]
    change: dict[str, str]


def add_to_waiting(
    s: Session, updates: list[Update], cause: str, now: datetime, window: timedelta
) -> list[Update]:
    """Fold ``updates`` into the updates still waiting for the same subscriptions; returns
    those that had none (to be queued as new rows)."""
    if window <= timedelta(0) or not updates:
        return updates
    waiting = {
        row.token: row
        for row in s.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.token.in_(sorted({u.token for u in updates})),
                OutboxRow.kind == MailKind.UPDATE.value,
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.attempts == 0,
            )
            .order_by(OutboxRow.id)
            .with_for_update()
        )
    }
    fresh: list[Update] = []
    for u in updates:
        row = waiting.get(u.token)
        if row is None or row.recipient.casefold() != u.email.casefold():
            fresh.append(u)
            continue
        changes: list[dict[str, str]] = json.loads(row.changes or "[]")
        if any(c.get("cause") == cause for c in changes):
            continue  # this change is already in it
        changes.append({**u.change, "cause": cause})
        msg = compose_digest(changes=changes, **u.common)
        row.subject = msg.subject[:500]
        row.body_text = msg.body_text
        row.body_html = msg.body_html
        row.changes = json.dumps(changes, ensure_ascii=False)
        row.next_attempt_at = min(now + window, row.created_at + window * MAX_WINDOWS)
    return fresh


def changes_json(update: Update, cause: str) -> str:
    return json.dumps([{**update.change, "cause": cause}], ensure_ascii=False)


__all__ = ["MAX_WINDOWS", "Update", "add_to_waiting", "changes_json"]
