"""Lean read model of reports, for pages of lists.

A page of 100 reports is read, shaped and encoded many times a second (maps,
Open311 clients paging through a month). ORM objects (identity map, state
tracking, a lazy photo relationship) cost several times more than the SQL
itself there, so lists read plain Core rows into slotted records that carry
the same attribute names as ``ReportRow``: the views accept either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, select, type_coerce
from sqlalchemy.engine import Connection, Row
from sqlalchemy.types import TypeDecorator

from vigie.reports.storage import PhotoRow, ReportRow, ReportUpdateRow

REPORTS = ReportRow.__table__
COLUMNS: tuple[str, ...] = tuple(c.name for c in REPORTS.columns)


class PhotoRecord:
    __slots__ = ("key", "kind", "width", "height", "moderation")

    def __init__(self, key: str, kind: str, width: int, height: int, moderation: str = "") -> None:
        self.key = key
        self.kind = kind
        self.width = width
        self.height = height
        self.moderation = moderation


class ReportRecord:
    """One report as read for a list; ``photos`` is filled by :func:`attach_photos`."""

    __slots__ = (*COLUMNS, "photos")

    id: int
    reference: str | None
    service_code: str
    service_group: str
    status: str
    public: bool
    description: str
    lat: float | None
    long: float | None
    address: str
    address_id: str
    zone: str
    attributes: dict[str, Any]
    channel: str
    priority: str
    procedure_id: str
    team: str
    assigned_user_id: int | None
    status_notes: str
    reject_reason: str
    duplicate_of_id: int | None
    reporter_name: str
    reporter_email: str
    reporter_phone: str
    reporter_lang: str
    device_id: str
    account_id: str
    token: str
    external_id: str | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    public_description: str | None
    public_checked_at: datetime | None
    erased_at: datetime | None
    photos: list[PhotoRecord]

    def __init__(self, values: Sequence[Any]) -> None:
        # One unpacking instead of a setattr per column: this runs for every row of
        # every list page. tests/reports/test_reports_records.py checks the order.
        (
            self.id,
            self.reference,
            self.service_code,
            self.service_group,
            self.status,
            self.public,
            self.description,
            self.lat,
            self.long,
            self.address,
            self.address_id,
            self.zone,
            self.attributes,
            self.channel,
            self.priority,
            self.procedure_id,
            self.team,
            self.assigned_user_id,
            self.status_notes,
            self.reject_reason,
            self.duplicate_of_id,
            self.reporter_name,
            self.reporter_email,
            self.reporter_phone,
            self.reporter_lang,
            self.device_id,
            self.account_id,
            self.token,
            self.external_id,
            self.requested_at,
            self.updated_at,
            self.expected_at,
            self.acknowledged_at,
            self.closed_at,
            self.public_description,
            self.public_checked_at,
            self.erased_at,
        ) = values
        self.photos = []


class _ListDateTime(TypeDecorator[datetime]):
    """Result type of the date columns in list reads.

    SQLite stores them as text: ``datetime.fromisoformat`` (C) reads that text
    several times faster than the regular expression of SQLAlchemy's SQLite
    DATETIME. PostgreSQL's driver already returns aware datetimes.
    """

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


_DATETIMES = frozenset(
    {
        "requested_at",
        "updated_at",
        "expected_at",
        "acknowledged_at",
        "closed_at",
        "public_checked_at",
        "erased_at",
    }
)
_SELECT_COLUMNS = [
    type_coerce(c, _ListDateTime()).label(c.name) if c.name in _DATETIMES else c for c in REPORTS.columns
]
_PHOTOS = (
    select(
        PhotoRow.report_id, PhotoRow.key, PhotoRow.kind, PhotoRow.width, PhotoRow.height, PhotoRow.moderation
    )
    .where(PhotoRow.report_id.in_(bindparam("report_ids", expanding=True)))
    .order_by(PhotoRow.id)
)


def report_columns() -> Select[Any]:
    """``SELECT`` of every column of ``reports``, in :data:`COLUMNS` order."""
    return select(*_SELECT_COLUMNS)


def read_records(
    conn: Connection, q: Select[Any], params: dict[str, Any] | None = None
) -> list[ReportRecord]:
    """Run ``q`` (built on :func:`report_columns`) and attach each report's photos."""
    records = [ReportRecord(r) for r in conn.execute(q, params or {})]
    attach_photos(conn, records)
    return records


def attach_photos(conn: Connection, records: list[ReportRecord]) -> None:
    if not records:
        return
    by_id = {r.id: r for r in records}
    for report_id, key, kind, width, height, moderation in conn.execute(_PHOTOS, {"report_ids": list(by_id)}):
        by_id[report_id].photos.append(PhotoRecord(key, kind, width, height, moderation))


# What the views read: an ORM row (detail pages, events) or a list record.
ReportData = ReportRow | ReportRecord
# A history entry: an ORM row or a plain Core row of ``report_updates``.
UpdateData = ReportUpdateRow | Row[Any]
