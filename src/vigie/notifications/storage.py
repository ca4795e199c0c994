"""Tables of the notifications context: the e-mail outbox and residents' consents.

A row is queued in the same transaction as the report change that causes it,
then sent by the outbox worker (``service.py``). ``recipient`` and the bodies
are personal data: they are read only to build the e-mail and are never logged.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one worker, which is sending it now
    SENT = "sent"
    FAILED = "failed"  # gave up: refused, too many attempts, or delivery unknown


class OutboxRow(Base):
    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), nullable=True
    )
    # Private: never logged, never in last_error.
    recipient: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # One message per (cause, recipient): "u<update id>:<hash of the address>".
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # What the message is (:class:`MailKind`), and the tracking token of the subscription
    # it belongs to: the stop link and List-Unsubscribe are made from it when it is sent.
    kind: Mapped[str] = mapped_column(String(16), default="update", server_default="update")
    token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # An update still waiting for its digest window: the changes it tells (JSON list).
    changes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # After this moment the message is of no use and is never sent (a collection reminder once
    # the collection day started): the worker fails it instead (migration 0037).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_notification_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_notification_outbox_report", "report_id"),
        Index("ix_notification_outbox_recipient", "recipient"),
    )


class MailKind(StrEnum):
    RECEIPT = "receipt"  # a report was made: reference, tracking link, confirmation of the address
    CONFIRM = "confirm"  # a follow by e-mail asks its address to confirm
    UPDATE = "update"  # a report the resident made or follows changed
    ANSWER = "answer"  # an answer to an e-mail the city received (vigie.inbound): why it was refused
    ERASURE = "erasure"  # a resident asked to erase their data: the link that confirms it
    SIGN_IN = "signin"  # a resident asked for a one-time link to sign in to their account
    REMINDER = "reminder"  # a waste collection the next day, for a resident who asked (residents)
    KEY = "key"  # a reuser asked for an open data API key: the link that confirms the address


class ErasureRow(Base):
    """A resident's request to erase their personal data, confirmed from an e-mail.

    ``email`` is kept only until the request is done or expires (then emptied: the
    request itself becomes a tombstone saying what was erased, and when).
    """

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    address_hash: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))  # pending, done, expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_erasure_requests_address", "address_hash"),)


class ConsentRow(Base):
    """Whether a subscription's address asked for e-mails (confirmed) or asked to stop.

    One row per subscription, named by its tracking token (the report's token for its
    reporter, the follower's token for a follower). The address is kept as a hash only:
    it tells whether an address ever confirmed, without another copy of it.
    """

    __tablename__ = "mail_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_mail_consents_address", "address_hash"),)


__all__ = ["ConsentRow", "ErasureRow", "MailKind", "OutboxRow", "OutboxStatus"]
