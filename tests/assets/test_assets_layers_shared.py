"""Map layers cached by several workers: a write by one is served by the others at once.

Two workers are two platforms on one database (each its own caches, as two processes).
Node clocks differ by a little: a write stamped by a node whose clock is behind
another's does not move ``max(updated_at)``, and the layers' version used to miss it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, update

from vigie import cacheversions
from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import AssetFilter, data_version, do_update_asset_status
from vigie.assets.geojson import geojson_layer
from vigie.assets.storage import AssetRow
from vigie.bootstrap import build_vigie
from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.settings import Settings

from .conftest import Fleet


@pytest.fixture
def worker_b(vigie_settings: Settings) -> Iterator[Vigie]:
    v = build_vigie(vigie_settings)
    yield v
    v.db.dispose()


def _status(v: Vigie, asset_id: str) -> str:
    import json

    layer = geojson_layer(v, AssetFilter(), None)
    return {f["id"]: f["properties"]["status"] for f in json.loads(layer.body)["features"]}[asset_id]


def test_layers_worker_b_serves_a_write_of_worker_a_stamped_behind_the_latest(
    vigie: Vigie, worker_b: Vigie, small_fleet: Fleet
) -> None:
    # A node whose clock is five minutes ahead wrote SL-T-1.
    with vigie.db.session(write=True) as s:
        s.execute(
            update(AssetRow).where(AssetRow.id == "SL-T-1").values(updated_at=utcnow() + timedelta(minutes=5))
        )
        s.commit()
    assert _status(vigie, "SL-T-2") == _status(worker_b, "SL-T-2") == "in_service"  # both cache the layer
    # Worker A (on time) puts SL-T-2 in maintenance: max(updated_at) stays where it was.
    do_update_asset_status(vigie, "SL-T-2", SYSTEM, "maintenance")
    assert _status(worker_b, "SL-T-2") == "maintenance"
    assert _status(vigie, "SL-T-2") == "maintenance"


def test_cacheversions_every_kind_of_write_bumps_once_per_transaction(
    vigie: Vigie, small_fleet: Fleet
) -> None:
    def bumps() -> int:
        with vigie.db.session() as s:
            return cacheversions.read(s, "assets")

    start = bumps()
    row = dict(
        type="street_light",
        name="",
        zone="",
        status="in_service",
        group="",
        attributes={},
        links={},
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    with vigie.db.session(write=True) as s:  # two statements, one transaction: one bump
        s.execute(insert(AssetRow), [{"id": "SL-V-1", **row}])
        s.execute(insert(AssetRow), [{"id": "SL-V-2", **row}])
        s.commit()
    assert bumps() == start + 1
    with vigie.db.session(write=True) as s:
        s.execute(delete(AssetRow).where(AssetRow.id == "SL-V-2"))
        s.commit()
    assert bumps() == start + 2
    with vigie.db.session(write=True) as s:  # an object changed through the session
        s.get(AssetRow, "SL-V-1").name = "renamed"  # type: ignore[union-attr]
        s.commit()
    assert bumps() == start + 3
    with vigie.db.session(write=True) as s:  # rolled back: no new version
        s.execute(delete(AssetRow).where(AssetRow.id == "SL-V-1"))
        s.rollback()
    assert bumps() == start + 3
    version = data_version(vigie)
    with vigie.db.session(write=True) as s:  # a write elsewhere does not count
        s.execute(update(AssetRow).where(AssetRow.id == "nobody").values(name="x"))
        s.commit()
    assert data_version(vigie) != version  # an update statement on assets bumps, even one matching nothing
