"""Read side of the reports context: filtered lists and nearby duplicates.

Filters are built so that each one can use an index on both backends: the
(lat, long) index for bounding boxes (a radius is a bounding box refined by an
equirectangular distance), and (status|service|zone, requested_at) for the
common "status + date" lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from vigie.errors import ValidationFailed
from vigie.reports.domain import CLOSED, Status
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie

M_PER_DEG_LAT = 111_320.0
MAX_PAGE_SIZE = 500


@dataclass
class ReportFilter:
    ids: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None  # min_long, min_lat, max_long, max_lat
    near: tuple[float, float, float] | None = None  # lat, long, radius_m
    start: datetime | None = None
    end: datetime | None = None
    updated_since: datetime | None = None
    text: str = ""
    public_only: bool = True
    assigned_user_id: int | None = None
    open_only: bool = False


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise ValidationFailed(
            "bbox must be four numbers: min_long,min_lat,max_long,max_lat", field="bbox"
        ) from None
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise ValidationFailed("bbox must be four numbers: min_long,min_lat,max_long,max_lat", field="bbox")
    x1, y1, x2, y2 = parts
    if (
        x1 > x2
        or y1 > y2
        or not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90)
    ):
        raise ValidationFailed("bbox corners are out of order or out of range", field="bbox")
    return x1, y1, x2, y2


def _radius_box(lat: float, long: float, r: float) -> tuple[float, float, float, float]:
    dlat = r / M_PER_DEG_LAT
    dlong = r / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return long - dlong, lat - dlat, long + dlong, lat + dlat


def apply_filter(q: Select, f: ReportFilter, spatial_index: bool = True) -> Select:  # type: ignore[type-arg]
    R = ReportRow
    # "+ 0" keeps the planner off the (lat, long) index when another index is better.
    lat_col = R.lat if spatial_index else R.lat + 0
    long_col = R.long if spatial_index else R.long + 0
    conds: list[ColumnElement[bool]] = []
    if f.ids:
        conds.append(R.id.in_(f.ids))
    if f.statuses:
        conds.append(R.status.in_(f.statuses))
    if f.open_only:
        conds.append(R.status.not_in([s.value for s in CLOSED]))
    if f.service_codes:
        conds.append(R.service_code.in_(f.service_codes))
    if f.groups:
        conds.append(R.service_group.in_(f.groups))
    if f.zones:
        conds.append(R.zone.in_(f.zones))
    if f.public_only:
        conds.append(R.public.is_(True))
    if f.assigned_user_id is not None:
        conds.append(R.assigned_user_id == f.assigned_user_id)
    boxes = []
    if f.bbox:
        boxes.append(f.bbox)
    if f.near:
        lat, long, r = f.near
        boxes.append(_radius_box(lat, long, r))
        k = math.cos(math.radians(lat))
        conds.append(
            ((R.lat - lat) * M_PER_DEG_LAT) * ((R.lat - lat) * M_PER_DEG_LAT)
            + ((R.long - long) * M_PER_DEG_LAT * k) * ((R.long - long) * M_PER_DEG_LAT * k)
            <= r * r
        )
    for x1, y1, x2, y2 in boxes:
        conds.append(and_(lat_col >= y1, lat_col <= y2, long_col >= x1, long_col <= x2))
    if f.start:
        conds.append(R.requested_at >= f.start)
    if f.end:
        conds.append(R.requested_at <= f.end)
    if f.updated_since:
        conds.append(R.updated_at >= f.updated_since)
    if f.text:
        like = f"%{f.text.lower().replace('%', '').replace('_', '')}%"
        conds.append(
            or_(
                func.lower(R.description).like(like),
                func.lower(R.address).like(like),
                func.lower(R.reference).like(like),
            )
        )
    return q.where(*conds) if conds else q


def list_reports(
    v: Vigie, f: ReportFilter, page: int = 1, page_size: int = 100
) -> tuple[list[ReportRow], bool]:
    """One page, newest first, and whether there is another page."""
    if not 1 <= page <= 1_000_000:
        raise ValidationFailed("page must be between 1 and 1000000", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    with v.db.session() as s:
        if v.db.dialect == "sqlite" and f.statuses and not f.ids:
            rows = _per_status_page(s, f, page, page_size)
        else:
            q = apply_filter(select(ReportRow), f).order_by(
                ReportRow.requested_at.desc(), ReportRow.id.desc()
            )
            q = q.limit(page_size + 1).offset((page - 1) * page_size)
            rows = list(s.scalars(q))
    return rows[:page_size], len(rows) > page_size


def _per_status_page(s: Session, f: ReportFilter, page: int, page_size: int) -> list[ReportRow]:
    """SQLite: one ordered, limited walk of the (status, requested_at, …) index per status, merged.

    SQLite cannot walk an index in order across an IN list, and with a bounding
    box it prefers the (lat, long) index and then sorts every match. Walking
    the covering status index newest-first per status and merging the heads
    reads only about a page per status.
    """
    need = page * page_size + 1
    heads = []
    for status in f.statuses:
        part = (
            apply_filter(
                select(ReportRow.id, ReportRow.requested_at),
                replace(f, statuses=[status]),
                spatial_index=False,
            )
            .order_by(ReportRow.requested_at.desc(), ReportRow.id.desc())
            .limit(need)
            .subquery()
        )
        heads.append(select(part.c.id, part.c.requested_at))
    merged = union_all(*heads).subquery()
    ids_q = (
        select(merged.c.id)
        .order_by(merged.c.requested_at.desc(), merged.c.id.desc())
        .limit(page_size + 1)
        .offset((page - 1) * page_size)
    )
    ids = list(s.scalars(ids_q))
    if not ids:
        return []
    by_id = {r.id: r for r in s.scalars(select(ReportRow).where(ReportRow.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def find_duplicates(
    v: Vigie, service_code: str, lat: float, long: float, limit: int = 10
) -> list[tuple[ReportRow, float]]:
    """Open public reports of the same service within the service's radius, nearest first."""
    service = v.catalogue.service(service_code)
    if service is None:
        raise ValidationFailed(f"unknown service_code '{service_code}'", field="service_code")
    radius = service.duplicate_radius_m
    f = ReportFilter(service_codes=[service_code], near=(lat, long, radius), open_only=True)
    q = apply_filter(select(ReportRow), f).where(ReportRow.duplicate_of_id.is_(None)).limit(200)
    with v.db.session() as s:
        rows = list(s.scalars(q))
    out = [(r, distance_m(lat, long, r.lat or 0.0, r.long or 0.0)) for r in rows]
    out.sort(key=lambda t: t[1])
    return out[:limit]


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


STATUS_VALUES = [s.value for s in Status]
