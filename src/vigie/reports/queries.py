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
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, func, or_, select, union_all

from vigie.city.publication import PublicationPolicy
from vigie.errors import ValidationFailed
from vigie.reports.domain import CLOSED, Status
from vigie.reports.records import ReportRecord, read_records, report_columns
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie

M_PER_DEG_LAT = 111_320.0
MAX_PAGE_SIZE = 1000  # Open311 answers the first 1,000 requests


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
    # Where words are looked for; the public looks only in what it is shown (publication.py).
    text_scope: tuple[str, ...] = ("description", "address", "reference")


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


def radius_box(lat: float, long: float, r: float) -> tuple[float, float, float, float]:
    dlat = r / M_PER_DEG_LAT
    dlong = r / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return long - dlong, lat - dlat, long + dlong, lat + dlat


# Which filters are set (not their values): statements are built once per shape
# and cached, values travel as bound parameters. Building a SQLAlchemy statement
# costs more than running it for a page of a list.
Shape = tuple[Any, ...]


def _shape(f: ReportFilter) -> Shape:
    return (
        bool(f.ids),
        bool(f.statuses),
        f.open_only,
        bool(f.service_codes),
        bool(f.groups),
        bool(f.zones),
        f.public_only,
        f.assigned_user_id is not None,
        f.bbox is not None,
        f.near is not None,
        f.start is not None,
        f.end is not None,
        f.updated_since is not None,
        bool(f.text),
        f.text_scope if f.text else (),
    )


def _conditions(shape: Shape, spatial_index: bool = True, one_status: str = "") -> list[ColumnElement[bool]]:
    """The WHERE terms of a filter of this shape; ``one_status`` names a single-status parameter."""
    R = ReportRow
    ids, statuses, open_only, services, groups, zones, public_only, assigned = shape[:8]
    bbox, near, start, end, updated, text, scope = shape[8:]
    # "+ 0" keeps the planner off the (lat, long) index when another index is better.
    lat_col = R.lat if spatial_index else R.lat + 0
    long_col = R.long if spatial_index else R.long + 0
    conds: list[ColumnElement[bool]] = []
    if ids:
        conds.append(R.id.in_(bindparam("ids", expanding=True)))
    if one_status:
        conds.append(R.status == bindparam(one_status))
    elif statuses:
        conds.append(R.status.in_(bindparam("statuses", expanding=True)))
    if open_only:
        conds.append(R.status.not_in([s.value for s in CLOSED]))
    for flag, column, name in (
        (services, R.service_code, "service_codes"),
        (groups, R.service_group, "groups"),
        (zones, R.zone, "zones"),
    ):
        if flag:
            conds.append(column.in_(bindparam(name, expanding=True)))
    if public_only:
        conds.append(R.public.is_(True))
    if assigned:
        conds.append(R.assigned_user_id == bindparam("assigned_user_id"))
    for flag, box in ((bbox, "bbox"), (near, "near")):
        if flag:
            conds.append(
                and_(
                    lat_col >= bindparam(f"{box}_y1"),
                    lat_col <= bindparam(f"{box}_y2"),
                    long_col >= bindparam(f"{box}_x1"),
                    long_col <= bindparam(f"{box}_x2"),
                )
            )
    if near:
        dy = (R.lat - bindparam("near_lat")) * M_PER_DEG_LAT
        dx = (R.long - bindparam("near_long")) * bindparam("near_kx")
        conds.append(dy * dy + dx * dx <= bindparam("near_r2"))
    if start:
        conds.append(R.requested_at >= bindparam("start"))
    if end:
        conds.append(R.requested_at <= bindparam("end"))
    if updated:
        conds.append(R.updated_at >= bindparam("updated_since"))
    if text:
        like: BindParameter[str] = bindparam("text")
        columns = {"description": R.description, "address": R.address, "reference": R.reference}
        conds.append(or_(*(func.lower(columns[name]).like(like) for name in scope)))
    return conds


def _values(f: ReportFilter) -> dict[str, Any]:
    """The bound parameters of :func:`_conditions` for this filter."""
    p: dict[str, Any] = {
        "ids": f.ids,
        "statuses": f.statuses,
        "service_codes": f.service_codes,
        "groups": f.groups,
        "zones": f.zones,
        "assigned_user_id": f.assigned_user_id,
        "start": f.start,
        "end": f.end,
        "updated_since": f.updated_since,
    }
    p.update({f"status_{i}": s for i, s in enumerate(f.statuses)})
    boxes = [("bbox", f.bbox)]
    if f.near:
        lat, long, r = f.near
        boxes.append(("near", radius_box(lat, long, r)))
        kx = M_PER_DEG_LAT * math.cos(math.radians(lat))
        p.update(near_lat=lat, near_long=long, near_kx=kx, near_r2=r * r)
    for name, box in boxes:
        if box:
            x1, y1, x2, y2 = box
            p.update({f"{name}_x1": x1, f"{name}_y1": y1, f"{name}_x2": x2, f"{name}_y2": y2})
    if f.text:
        p["text"] = f"%{f.text.lower().replace('%', '').replace('_', '')}%"
    return p


def apply_filter(q: Select, f: ReportFilter, spatial_index: bool = True) -> Select:  # type: ignore[type-arg]
    """``q`` restricted by ``f``, with the values bound (for one-off queries)."""
    conds = _conditions(_shape(f), spatial_index)
    return q.where(*conds).params(_values(f)) if conds else q


_STATEMENTS: dict[tuple[Any, ...], Select] = {}  # type: ignore[type-arg]


def page_key(dialect: str, f: ReportFilter) -> tuple[Any, ...]:
    """What the page statement of ``f`` depends on (never the filter's values)."""
    per_status = bool(f.statuses) and not f.ids
    return (per_status, len(f.statuses) if per_status else 0, _shape(f))


def page_statement(dialect: str, f: ReportFilter) -> Select:  # type: ignore[type-arg]
    """Every column of one page of reports matching ``f``'s shape, newest first."""
    key = page_key(dialect, f)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        per_status, statuses, shape = key
        if per_status:
            stmt = _per_status_page(shape, statuses, dialect)
        else:
            stmt = (
                report_columns()
                .where(*_conditions(shape))
                .order_by(ReportRow.requested_at.desc(), ReportRow.id.desc())
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )
        # The number of shapes is small and bounded; no eviction needed.
        _STATEMENTS[key] = stmt
    return stmt


def page_params(f: ReportFilter, page: int, page_size: int) -> dict[str, Any]:
    """The bound values of :func:`page_statement`: one row more than a page, to tell if another follows."""
    if not 1 <= page <= 1_000_000:
        raise ValidationFailed("page must be between 1 and 1000000", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    params = _values(f)
    params.update(limit=page_size + 1, offset=(page - 1) * page_size)
    return params


def list_reports(
    v: Vigie, f: ReportFilter, page: int = 1, page_size: int = 100
) -> tuple[list[ReportRecord], bool]:
    """One page, newest first, and whether there is another page."""
    params = page_params(f, page, page_size)
    stmt = page_statement(v.db.dialect, f)
    with v.db.engine.connect() as conn:
        rows = read_records(conn, stmt, params)
    return rows[:page_size], len(rows) > page_size


def _per_status_page(shape: Shape, statuses: int, dialect: str) -> Select:  # type: ignore[type-arg]
    """One walk of the (status, requested_at, id, …) index per status, merged lazily.

    Neither backend walks an index in order across an IN list; with a bounding
    box SQLite prefers the (lat, long) index and PostgreSQL the date index, and
    both then sort or filter thousands of rows. Here each status is one arm of
    a UNION ALL ordered like the index, so SQLite merges the arms' walks as
    coroutines and PostgreSQL with a Merge Append, and both stop once the page
    is full: about one page's worth of matching entries is read in all. The
    index holds the position, so on PostgreSQL the walks are index-only. The
    page's rows are then fetched by id in the same statement.
    """
    sqlite = dialect == "sqlite"
    arms = [
        select(ReportRow.id, ReportRow.requested_at).where(
            *_conditions(shape, spatial_index=not sqlite, one_status=f"status_{i}")
        )
        for i in range(statuses)
    ]
    if not sqlite and statuses > 1:
        # PostgreSQL merges the arms (Merge Append) only when each is ordered itself;
        # unordered, it sorts every arm's matches. SQLite refuses ordered arms, and
        # merges without.
        arms = [arm.order_by(ReportRow.requested_at.desc(), ReportRow.id.desc()) for arm in arms]
    merged = union_all(*arms) if statuses > 1 else arms[0]
    columns = merged.selected_columns
    ids = (
        merged.order_by(columns.requested_at.desc(), columns.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return (
        report_columns()
        .join_from(ReportRow.__table__, ids, ReportRow.id == ids.c.id)
        .order_by(ids.c.requested_at.desc(), ids.c.id.desc())
    )


def find_duplicates(
    v: Vigie,
    service_code: str,
    lat: float,
    long: float,
    limit: int = 10,
    policy: PublicationPolicy | None = None,
) -> list[tuple[ReportRow, float]]:
    """Open public reports of the same service within the service's radius, nearest first.

    With ``policy`` (what the public is answered), reports are chosen and measured by their
    public position: the radius becomes the cells around it (``public_filter``) and distances
    run to a report's cell. Measured from the exact position, a point moved a few metres at a
    time found where in its cell a report lies (when it came into the radius, when its rounded
    distance changed).
    """
    service = v.catalogue.service(service_code)
    if service is None:
        raise ValidationFailed(f"unknown service_code '{service_code}'", field="service_code")
    radius = service.duplicate_radius_m
    f = ReportFilter(service_codes=[service_code], near=(lat, long, radius), open_only=True)
    if policy is not None:
        f = public_filter(policy, f)
    q = apply_filter(select(ReportRow), f).where(ReportRow.duplicate_of_id.is_(None)).limit(200)
    with v.db.session() as s:
        rows = list(s.scalars(q))
    out = []
    for r in rows:
        at = (r.lat, r.long) if policy is None else policy.position(r.lat, r.long)
        out.append((r, distance_m(lat, long, at[0] or 0.0, at[1] or 0.0)))
    out.sort(key=lambda t: t[1])
    return out[:limit]


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


STATUS_VALUES = [s.value for s in Status]


def public_filter(policy: PublicationPolicy, f: ReportFilter) -> ReportFilter:
    """``f`` as the public may ask it: never finer than what the public is shown.

    Areas grow to whole grid cells (a radius becomes the cells around it), dates
    to whole units, and words are looked for only in what the public can read, so
    that narrowing a filter step by step never finds a hidden position, time or text.
    """
    out = replace(f)
    grid = policy.grid
    if grid is not None:
        if f.near is not None:
            box = radius_box(*f.near)
            out.bbox = grid.widen(box if f.bbox is None else _intersection(f.bbox, box))
            out.near = None
        elif f.bbox is not None:
            out.bbox = grid.widen(f.bbox)
    out.start = policy.widen_start(f.start)
    out.end = policy.widen_end(f.end)
    out.updated_since = policy.widen_start(f.updated_since)
    if f.text:
        scope = ["reference"]
        if policy.open_text:
            scope.append("description")
        if policy.exact_position:
            scope.append("address")
        out.text_scope = tuple(scope)
    return out


def _intersection(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    return x1, y1, max(x1, min(a[2], b[2])), max(y1, min(a[3], b[3]))
