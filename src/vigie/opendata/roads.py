"""Open data sources of the traffic and winter services: road events and driving conditions.

What is published and why:

- ``road_events``: each roadwork or closure in force or coming within 30 days: its
  id, kind, effect on traffic, start and end, the centre of its geometry and its
  length. These are public works on public roads (no one's data). Its title is
  written by agents, so the charter keeps it out like any free text; the full
  geometry and titles are in the live GeoJSON feed ``/api/v1/traffic/events.geojson``.
- ``driving_conditions``: the latest declaration per priority network (tier,
  C1-C4, when); never who declared it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from vigie.opendata.domain import Column
from vigie.opendata.domain import ColumnKind as K
from vigie.opendata.sources import Source, register_source, schema_of
from vigie.traffic.actions import list_events
from vigie.winter.actions import published_conditions

if TYPE_CHECKING:
    import pyarrow as pa

    from vigie.opendata.domain import Dataset
    from vigie.runtime import Vigie

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("id", "int", K.ID, "Identifiant de l'événement", "Event id"),
    Column("kind", "string", K.CATEGORY, "Nature (roadworks, closure)", "Kind (roadworks, closure)"),
    Column("restriction", "string", K.CATEGORY, "Effet sur la circulation", "Effect on traffic"),
    Column("starts_at", "timestamp", K.TIME, "Début", "Start"),
    Column("ends_at", "timestamp", K.TIME, "Fin", "End"),
    Column("latitude", "float", K.LATITUDE, "Latitude du centre", "Latitude of the centre"),
    Column("longitude", "float", K.LONGITUDE, "Longitude du centre", "Longitude of the centre"),
    Column("length_m", "float", K.MEASURE, "Longueur (m, 0 pour un point)", "Length (m, 0 for a point)"),
    Column("title", "string", K.TEXT, "Intitulé (texte libre)", "Title (free text)"),
)
CONDITION_COLUMNS: tuple[Column, ...] = (
    Column("tier", "string", K.CATEGORY, "Réseau prioritaire (P1 à P3)", "Priority network (P1 to P3)"),
    Column("condition", "string", K.CATEGORY, "Conditions (C1 à C4)", "Conditions (C1 to C4)"),
    Column("declared_at", "timestamp", K.TIME, "Déclarées le", "Declared at"),
)


def _length(geometry: dict[str, Any]) -> float:
    if geometry["type"] != "LineString":
        return 0.0
    pts = geometry["coordinates"]
    k = math.cos(math.radians(pts[0][1])) * 111_320
    return sum(
        math.hypot((b[0] - a[0]) * k, (b[1] - a[1]) * 111_320) for a, b in zip(pts, pts[1:], strict=False)
    )


def _centre(geometry: dict[str, Any]) -> tuple[float, float]:
    t, c = geometry["type"], geometry["coordinates"]
    pts = [c] if t == "Point" else c if t == "LineString" else [p for part in c for p in part]
    return sum(p[1] for p in pts) / len(pts), sum(p[0] for p in pts) / len(pts)


def build_road_events(v: Vigie, dataset: Dataset) -> pa.Table:
    import pyarrow as pa  # when a release is built (see vigie.opendata.sources)

    events = list_events(v)
    centres = [_centre(e["geometry"]) for e in events]
    return pa.table(
        {
            "id": [e["id"] for e in events],
            "kind": [e["kind"] for e in events],
            "restriction": [e["restriction"] for e in events],
            "starts_at": [e["starts_at"] for e in events],
            "ends_at": [e["ends_at"] for e in events],
            "latitude": [round(c[0], 6) for c in centres],
            "longitude": [round(c[1], 6) for c in centres],
            "length_m": [round(_length(e["geometry"]), 1) for e in events],
            "title": [e["title"] for e in events],
        },
        schema=schema_of(EVENT_COLUMNS),
    )


def build_conditions(v: Vigie, dataset: Dataset) -> pa.Table:
    import pyarrow as pa

    rows = published_conditions(v)
    return pa.table(
        {
            "tier": [r["tier"] for r in rows],
            "condition": [r["condition"] for r in rows],
            "declared_at": [r["at"] for r in rows],
        },
        schema=schema_of(CONDITION_COLUMNS),
    )


def register_road_sources() -> None:
    register_source(
        Source(
            "road_events",
            EVENT_COLUMNS,
            build_road_events,
            "Chantiers et fermetures",
            "Roadworks and closures",
        )
    )
    register_source(
        Source(
            "driving_conditions",
            CONDITION_COLUMNS,
            build_conditions,
            "Conditions de circulation (viabilité hivernale)",
            "Driving conditions (winter service)",
        )
    )
