"""Tables of the residents context: accounts, one-time sign-in links, sessions, and what
follows a resident across devices (their reports' tracking tokens, favourites, reminders).

Separate from the staff's ``users``: a resident has no password and no role. Links
and sessions are kept as SHA-256 hashes only; the e-mail address is personal data,
read to send the resident's own messages and shown to them alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class ResidentRow(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # folded to lower case
    lang: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignInLinkRow(Base):
    """A one-time sign-in link sent by e-mail: single use, short-lived, hashed at rest.

    The address waits here until the link is used (the account is made then, by
    whoever proved they read that mailbox); used or expired links are purged.
    """

    __tablename__ = "resident_sign_in_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_resident_sign_in_links_expires", "expires_at"),)


class ResidentSessionRow(Base):
    __tablename__ = "resident_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_resident_sessions_resident", "resident_id"),)


class ResidentReportRow(Base):
    """A report the resident made (``role`` report) or follows (``follow``), by the tracking
    token that proves it: the same token the device keeps in "my reports"."""

    __tablename__ = "resident_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8))
    report_id: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("resident_id", "token", name="uq_resident_reports_token"),)


class FavouriteRow(Base):
    """A favourite place (``kind`` place: the places context's id) or address (``address``:
    its label, with its position when known)."""

    __tablename__ = "resident_favourites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    ref: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("resident_id", "kind", "ref", name="uq_resident_favourites_ref"),)


class ReminderRow(Base):
    """A waste collection reminder: an address (its commune and street find the zone), the
    streams wanted, and the local time of the evening before when the e-mail goes.

    ``token`` names the reminder's subscription in the e-mail policy (the stop link and
    List-Unsubscribe of notifications.consent); ``last_for`` is the collection day last
    reminded, so that the job reminds each day once."""

    __tablename__ = "resident_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(300))
    citycode: Mapped[str] = mapped_column(String(10))
    street: Mapped[str] = mapped_column(String(200))
    streams: Mapped[list[Any]] = mapped_column(JSON, default=list)
    at: Mapped[str] = mapped_column(String(5))  # "19:00", the city's local time
    token: Mapped[str] = mapped_column(String(64), unique=True)
    last_for: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("resident_id", "citycode", "street", name="uq_resident_reminders_address"),
    )


__all__ = [
    "FavouriteRow",
    "ReminderRow",
    "ResidentReportRow",
    "ResidentRow",
    "ResidentSessionRow",
    "SignInLinkRow",
]
