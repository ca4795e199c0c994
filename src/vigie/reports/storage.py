"""Tables of the reports context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigie.db import Base, UTCDateTime

# Statuses of a report still to be dealt with: the control room's queue. Written as
# literals in the partial indexes below and in the queries meant to use them
# (vigie.pilotage.queue.open_condition): a planner matches an index's predicate
# only against the same constants, never against bound parameters.
OPEN_STATUSES = ("new", "acknowledged", "assigned", "in_progress", "reopened")
OPEN_PREDICATE = "status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened')"


def _open_index(name: str, *columns: str) -> Index:
    where = text(OPEN_PREDICATE)
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


def _sparse_index(name: str, column: str, where: str) -> Index:
    """An index of a column most reports leave empty, holding only the rows with a value
    (migration 0038): its queries look for a value, and a new report without one
    (nearly all of them; every imported one) costs no index write."""
    return Index(name, column, sqlite_where=text(where), postgresql_where=text(where))


# The erasure's query states it, so that the partial e-mail index serves it.
HAS_REPORTER_EMAIL = "reporter_email != ''"


class ReportRow(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    service_code: Mapped[str] = mapped_column(String(64))
    service_group: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(512), default="")
    address_id: Mapped[str] = mapped_column(String(128), default="")  # an id of the gazetteer
    zone: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    procedure_id: Mapped[str] = mapped_column(String(64))
    team: Mapped[str] = mapped_column(String(64))
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status_notes: Mapped[str] = mapped_column(Text, default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # Private: never rendered on public pages, open data or logs.
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    reporter_email: Mapped[str] = mapped_column(String(320), default="")
    reporter_phone: Mapped[str] = mapped_column(String(40), default="")
    reporter_lang: Mapped[str] = mapped_column(String(8), default="fr")
    device_id: Mapped[str] = mapped_column(String(128), default="")
    account_id: Mapped[str] = mapped_column(String(128), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation (the city's publication policy): the text the public reads instead of
    # the resident's, and when an operator checked what the report shows.
    public_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the reporter's personal data was erased (a tombstone stands in its place).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    photos: Mapped[list[PhotoRow]] = relationship(
        back_populates="report", order_by="PhotoRow.id", lazy="selectin"
    )

    __table_args__ = (
        Index("ix_reports_requested_at", "requested_at"),
        Index("ix_reports_updated_at", "updated_at"),
        # Covering the common list filters (status, newest first, bounding box, public):
        # a page is read from the index without visiting the table for rejected rows.
        # id after requested_at: the list's order (requested_at, id) is the index's, so
        # SQLite merges the per-status walks lazily instead of sorting each one.
        Index("ix_reports_status_requested_at", "status", "requested_at", "id", "lat", "long", "public"),
        Index("ix_reports_service_requested_at", "service_code", "requested_at"),
        Index("ix_reports_zone_requested_at", "zone", "requested_at"),
        Index("ix_reports_lat_long", "lat", "long"),
        _sparse_index("ix_reports_duplicate_of", "duplicate_of_id", "duplicate_of_id IS NOT NULL"),
        _sparse_index("ix_reports_assigned_user", "assigned_user_id", "assigned_user_id IS NOT NULL"),
        # The erasure finds a resident's reports.
        _sparse_index("ix_reports_reporter_email", "reporter_email", HAS_REPORTER_EMAIL),
        # The queue over the open reports only (a tenth of them in a city's history):
        # newest or most urgent first, and counts with the queue's usual filters read
        # from the index alone (status too: SQLite reads a column of the predicate from
        # the table unless the index holds it).
        _open_index(
            "ix_reports_open_requested",
            *("requested_at", "id", "service_group", "zone", "priority", "expected_at", "status"),
        ),
        _open_index(
            "ix_reports_open_expected", "expected_at", "id", "service_group", "zone", "priority", "status"
        ),
        _open_index(
            "ix_reports_open_lat_long",
            *("lat", "long", "service_group", "zone", "priority", "public", "status", "expected_at"),
        ),
    )


class ReportUpdateRow(Base):
    """One entry of a report's history (status change, assignment, note…)."""

    __tablename__ = "report_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str | None] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    public_note: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A resident's message (kind ``message``: a reply by e-mail): its sender's address hash
    # (notifications.consent.address_hash), so that an erasure finds it. None otherwise,
    # after an erasure, and on messages older than migration 0039.
    sender_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        Index("ix_report_updates_report", "report_id", "id"),
        Index("ix_report_updates_at", "at"),
        Index(
            "ix_report_updates_sender_hash",
            "sender_hash",
            sqlite_where=text("sender_hash IS NOT NULL"),
            postgresql_where=text("sender_hash IS NOT NULL"),
        ),
    )


def creation_media(sqlite: bool) -> ColumnElement[bool]:
    """History entries of a creation that carry media URLs: the predicate of the partial
    index below, which a query must state to use it (Open311's media fallback does)."""
    c = ReportUpdateRow.__table__.c
    media = (
        func.json_extract(c.detail, literal_column("'$.media'"))
        if sqlite
        else c.detail.op("->>")(literal_column("'media'"))
    )
    return and_(c.kind == literal_column("'created'"), media.is_not(None))


# The few creation entries that carry media URLs: Open311 lists look each report's
# media up here (migration 0009), nearly always finding nothing.
Index(
    "ix_report_updates_created_media",
    ReportUpdateRow.report_id,
    ReportUpdateRow.id,
    sqlite_where=creation_media(sqlite=True),
    postgresql_where=creation_media(sqlite=False),
)


class PhotoRow(Base):
    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("report_updates.id"))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="report")
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An operator's decision (city/publication.py): "" unchecked, shown, hidden, blurred.
    moderation: Mapped[str] = mapped_column(String(16), default="", server_default="")

    report: Mapped[ReportRow] = relationship(back_populates="photos")

    __table_args__ = (Index("ix_report_photos_report", "report_id"),)


class FollowerRow(Base):
    """A resident following a report (by e-mail and/or an anonymous token)."""

    __tablename__ = "report_followers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    lang: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_report_followers_report", "report_id"),
        Index("ix_report_followers_email", "email"),
    )


class IdempotencyRow(Base):
    """First answer to a request sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)
