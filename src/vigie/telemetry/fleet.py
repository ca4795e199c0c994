"""A synthetic Dijon fleet, for ``vigie simulate --synthetic`` and the ingest benchmark.

The real registry comes from the assets context (its demo loads the Dijon
fleet); this only makes plausible rows with the same id scheme when that is
not loaded: SL-…, CAB-…, CAM-…, TLC-…, RWS-…, VEH-….
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from vigie.telemetry.registry import AssetInfo
from vigie.telemetry.schema import kind_of

CENTER = (47.322, 5.041)
# (prefix, type, share of the number of lights or fixed count)
MIX: list[tuple[str, str, float]] = [
    ("CAB", "streetlight_cabinet", 1 / 120),
    ("CAM", "camera", 120),
    ("TLC", "traffic_controller", 180),
    ("RWS", "weather_station", 12),
    ("VEH", "vehicle", 60),
]


def synthetic_rows(
    lights: int, seed: int = 7, locate: Callable[[float, float], str] | None = None
) -> list[dict[str, Any]]:
    """Asset rows (AssetRow columns) for ``lights`` street lights and the equipment around them."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []

    def point() -> tuple[float, float]:
        r = 7000 * math.sqrt(rng.random())
        a = rng.uniform(0, 2 * math.pi)
        lat = CENTER[0] + r * math.cos(a) / 111_320
        long = CENTER[1] + r * math.sin(a) / (111_320 * math.cos(math.radians(CENTER[0])))
        return round(lat, 6), round(long, 6)

    def add(asset_id: str, type_: str, group: str = "", **attributes: Any) -> None:
        lat, long = point()
        rows.append(
            {
                "id": asset_id,
                "type": type_,
                "name": asset_id,
                "lat": lat,
                "long": long,
                "zone": locate(lat, long) if locate else "",
                "status": "in_service",
                "group": group,
                "attributes": attributes,
                "links": {},
                "parent_id": None,
                "external_id": None,
                "created_at": now,
                "updated_at": now,
            }
        )

    n_cab = max(1, int(lights * MIX[0][2]))
    for i in range(1, lights + 1):
        add(
            f"SL-{i:05d}",
            "streetlight",
            group=f"G-{(i - 1) % n_cab + 1:03d}",
            powerRating=rng.choice([35, 50, 70, 100, 150]),
        )
    for prefix, type_, share in MIX:
        n = int(share) if share >= 1 else n_cab
        for i in range(1, n + 1):
            add(f"{prefix}-{i:04d}", type_, group=f"G-{i:03d}" if prefix == "CAB" else "")
    return rows


def infos(rows: list[dict[str, Any]]) -> list[AssetInfo]:
    out = []
    for r in rows:
        kind = kind_of(r["type"], r["id"])
        if kind:
            out.append(
                AssetInfo(
                    r["id"],
                    r["type"],
                    kind,
                    r["zone"],
                    r["lat"],
                    r["long"],
                    r["group"],
                    r["status"],
                    r["attributes"],
                )
            )
    return out
