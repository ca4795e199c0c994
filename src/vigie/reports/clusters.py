"""Map views clustered by the database: what is in view, at any number of reports.

A map asks for its bounding box and zoom; the reports inside are grouped on a
grid whose cells are about 60 screen pixels at that zoom (one ``GROUP BY`` over
an index), so the answer is a few hundred clusters whether the view holds 50
reports or 100,000. A cell holding one report comes back as that report; close
enough (zoom 17 and more) or few enough, every report comes back as a point.
The control room's queue map and the public map both use it, each with its
own filter (the public one never sees non-public reports). The public map groups
reports by their public positions (``policy``): grouped by exact positions, a zoom
chosen to split two reports of one cell told how far apart they are inside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, Select, cast, func, literal_column, select

from vigie.city.publication import PublicationPolicy
from vigie.reports.publication import position_sql
from vigie.reports.records import ReportRecord, report_columns
from vigie.reports.storage import ReportRow
from vigie.reports.versioned import MAP_VIEWS
from vigie.runtime import Vigie
from vigie.sqljson import JsonSql

R = ReportRow
CELL_PX = 60  # a cluster's reach on screen
POINTS_ZOOM = 17  # from this zoom on, every report is drawn
MAX_POINTS = 2000  # points beyond this in one view come back as clusters
Restrict = Callable[[Select[Any]], Select[Any]]


@dataclass
class Cluster:
    lat: float
    long: float
    count: int


@dataclass
class MapView:
    clusters: list[Cluster]
    points: list[ReportRecord]
    total: int


def cell_degrees(zoom: float) -> float:
    """Longitude span of ``CELL_PX`` screen pixels at ``zoom`` (256-pixel Web Mercator tiles)."""
    return CELL_PX * 360.0 / (256.0 * 2.0 ** max(0.0, min(zoom, 22.0)))


def _floor(expr: Any, dialect: str) -> Any:
    # PostgreSQL casts a float to an integer by rounding; SQLite truncates, which is a
    # floor for the positive values used here (coordinates shifted by +180 / +90).
    return func.floor(expr) if dialect == "postgresql" else cast(expr, Integer)


def map_view(
    v: Vigie,
    restrict: Restrict,
    bbox: tuple[float, float, float, float],
    zoom: float,
    cache_key: Hashable | None = None,
    stale_key: Hashable | None = None,
    policy: PublicationPolicy | None = None,
) -> MapView:
    """Clusters and single reports in ``bbox`` (min_long, min_lat, max_long, max_lat) at ``zoom``.

    ``restrict`` adds the caller's filter (and its bound values) to a statement on ``reports``;
    with a ``cache_key`` naming that filter, the answer is kept until the reports change
    (``stale_key``: the answer that may stand in while this one is computed, see versioned.py).
    With ``policy`` (the public's map), clusters group and average the reports' public positions.
    """
    if cache_key is None:
        return _map_view(v, restrict, bbox, zoom, policy)
    with v.db.engine.connect() as conn:
        stale = (stale_key, bbox, zoom) if stale_key is not None else None
        return MAP_VIEWS.get(
            conn, (cache_key, bbox, zoom), lambda: _map_view(v, restrict, bbox, zoom, policy), stale
        )


def _map_view(
    v: Vigie,
    restrict: Restrict,
    bbox: tuple[float, float, float, float],
    zoom: float,
    policy: PublicationPolicy | None = None,
) -> MapView:
    x1, y1, x2, y2 = bbox
    in_view = (R.lat >= y1, R.lat <= y2, R.long >= x1, R.long <= x2)
    dialect = v.db.dialect
    lat, long = (R.lat, R.long) if policy is None else position_sql(JsonSql(dialect), policy)
    size_x = cell_degrees(zoom)
    size_y = size_x * max(math.cos(math.radians((y1 + y2) / 2)), 0.05)
    with v.db.engine.connect() as conn:
        if zoom >= POINTS_ZOOM:
            points = _points(conn, restrict, in_view, MAX_POINTS + 1)
            if len(points) <= MAX_POINTS:
                return MapView([], points, len(points))
        gx = _floor((cast(long, Float) + 180.0) / size_x, dialect).label("gx")
        gy = _floor((cast(lat, Float) + 90.0) / size_y, dialect).label("gy")
        grid = restrict(
            select(gx, gy, func.count().label("n"), func.avg(lat), func.avg(long), func.min(R.id))
            .select_from(R)
            .where(*in_view)
        ).group_by(literal_column("gx"), literal_column("gy"))
        cells: list[Any] = list(conn.execute(grid).all())
        total = sum(int(c[2]) for c in cells)
        single = [int(c[5]) for c in cells if int(c[2]) == 1][:MAX_POINTS]
        points = _points(conn, restrict, (R.id.in_(single),), MAX_POINTS) if single else []
    clusters = [Cluster(float(c[3]), float(c[4]), int(c[2])) for c in cells if int(c[2]) > 1]
    return MapView(clusters, points, total)


def _points(conn: Any, restrict: Restrict, where: tuple[Any, ...], limit: int) -> list[ReportRecord]:
    q = restrict(report_columns().where(*where)).order_by(R.id).limit(limit)
    return [ReportRecord(r) for r in conn.execute(q)]  # a marker needs no photo


def parse_zoom(text: str | None) -> float:
    from vigie.errors import ValidationFailed

    try:
        zoom = float(text) if text is not None else 13.0
    except ValueError:
        raise ValidationFailed("zoom must be a number between 0 and 22", field="zoom") from None
    if not math.isfinite(zoom) or not 0 <= zoom <= 22:
        raise ValidationFailed("zoom must be a number between 0 and 22", field="zoom")
    return zoom
