"""The demo's light points named after their street, from the gazetteer.

The demo fleet's points are drawn along lines leaving each cabinet and carry no
name; a real inventory names each point after its street (Washington DC's
``E ST / 2ND ST``), which is what the retrofit planner groups by when asked to
convert a street together. Once the gazetteer is loaded, each unnamed light
point takes the street reverse geocoding gives at its position, all at once
(:func:`vigie.addresses.nearest.street_names`: one read of the gazetteer, numpy,
one bulk update); a point with no street within reach stays unnamed.
"""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import select, update

from vigie.addresses.nearest import street_names
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.errors import Forbidden
from vigie.runtime import Vigie

BATCH = 5000


def name_demo_lights(v: Vigie) -> list[str]:
    """Name the unnamed light points after their street; returns a summary line."""
    if v.settings.environment == "production":
        raise Forbidden("the demo cannot be loaded in production")
    started = time.perf_counter()
    with v.db.session() as s:
        rows = s.execute(
            select(AssetRow.id, AssetRow.lat, AssetRow.long).where(
                AssetRow.type == "street_light",
                AssetRow.name == "",
                AssetRow.lat.is_not(None),
                AssetRow.long.is_not(None),
            )
        ).all()
    if not rows:
        return ["demo street names: no unnamed light point"]
    names = street_names(
        v.db,
        np.array([r.lat for r in rows], dtype=np.float64),
        np.array([r.long for r in rows], dtype=np.float64),
    )
    now = utcnow()
    changes = [
        {"id": r.id, "name": name, "updated_at": now} for r, name in zip(rows, names, strict=True) if name
    ]
    with v.db.session(write=True) as s:
        for i in range(0, len(changes), BATCH):
            s.execute(update(AssetRow), changes[i : i + BATCH])
        s.commit()
    streets = len(set(names) - {""})
    return [
        f"demo street names: {len(changes)} of {len(rows)} light points on {streets} streets of the "
        f"gazetteer ({time.perf_counter() - started:.1f} s)"
    ]


__all__ = ["name_demo_lights"]
