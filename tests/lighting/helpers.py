"""A small fleet of light points with a lamp history, for the lighting tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from vigie.assets.storage import AssetRow, LampChangeRow
from vigie.runtime import Vigie

DARCY = (47.3222, 5.0342)


def add_light(
    v: Vigie,
    asset_id: str,
    tech: str,
    watts: float,
    *,
    installed_on: date | None = None,
    zone: str = "21231",
    status: str = "in_service",
    cabinet: str = "CAB-0001",
    lat: float = DARCY[0],
    long: float = DARCY[1],
    history: list[tuple[date, str, str, float]] = (),  # type: ignore[assignment]
    **attributes: Any,
) -> None:
    now = datetime.now(UTC)
    with v.db.session(write=True) as s:
        s.execute(
            insert(AssetRow),
            [
                {
                    "id": asset_id,
                    "type": "street_light",
                    "name": asset_id,
                    "lat": lat,
                    "long": long,
                    "zone": zone,
                    "status": status,
                    "group": "G-001",
                    "installed_on": installed_on,
                    "attributes": {"lampTechnology": tech, "powerRating": watts, **attributes},
                    "links": {"refStreetlightControlCabinet": cabinet},
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        for day, kind, t, w in history:
            s.execute(
                insert(LampChangeRow),
                [
                    {
                        "asset_id": asset_id,
                        "changed_on": day,
                        "kind": kind,
                        "lamp_technology": t,
                        "power_rating": w,
                        "source": "demo",
                        "note": "",
                        "created_at": now,
                    }
                ],
            )
        s.commit()
