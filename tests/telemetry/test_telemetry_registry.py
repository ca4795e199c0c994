"""The in-memory registry: its refresh reads what changed, its one-kind reader agrees with it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.telemetry.registry import AssetRegistry, assets_of_kind
from vigie.telemetry.schema import CAMERA, TRAFFIC_DETECTOR

# (id, type): registry types spelt the ways kind_of folds them, an id prefix standing in for
# an unknown type, and assets of other kinds that must be left out.
ASSETS = [
    ("DET-0001", "traffic_detector"),
    ("X-1", "TrafficFlowObserved"),
    ("X-2", "Counting Station"),
    ("X-3", "traffic-detector"),
    ("DET-0002", "something else"),
    ("CAM-0001", "camera"),
    ("X-4", "Detector of smoke?"),  # not an alias once folded
    ("SL-0001", "street_light"),
    ("DET_0003", "unknown"),  # '_' is not the '-' of the prefix: LIKE must not take it as a wildcard
]


def test_registry_assets_of_kind_matches_the_full_registry(vigie: Vigie) -> None:
    now = utcnow()
    with vigie.db.session() as s, s.begin():
        for asset_id, asset_type in ASSETS:
            s.add(AssetRow(id=asset_id, type=asset_type, created_at=now, updated_at=now))
    full = AssetRegistry(vigie.db)
    assert full.refresh() == len(full) == 7  # every asset but the two of no known kind
    for kind in (TRAFFIC_DETECTOR, CAMERA):
        expected = sorted(a.id for a in full.of_kind(kind))
        assert sorted(a.id for a in assets_of_kind(vigie.db, kind)) == expected
    assert sorted(a.id for a in assets_of_kind(vigie.db, TRAFFIC_DETECTOR)) == [
        "DET-0001",
        "DET-0002",
        "X-1",
        "X-2",
        "X-3",
    ]


def test_registry_refresh_reads_only_what_changed_since(vigie: Vigie) -> None:
    # A fleet imported at once: every asset has the same updated_at.
    now = utcnow()
    with vigie.db.session() as s, s.begin():
        for i in range(5):
            s.add(AssetRow(id=f"SL-{i:05d}", type="street_light", created_at=now, updated_at=now))
    registry = AssetRegistry(vigie.db)
    assert registry.refresh() == 5
    assert registry.refresh() == 0  # the import's rows are not read again
    later = now + timedelta(seconds=1)
    with vigie.db.session() as s, s.begin():
        s.add(AssetRow(id="SL-00005", type="street_light", created_at=later, updated_at=later))
        # An asset changed later, and one added with the import's very time and a higher id.
        s.execute(update(AssetRow).where(AssetRow.id == "SL-00001").values(updated_at=later, zone="Nord"))
        s.add(AssetRow(id="SL-00009", type="street_light", created_at=now, updated_at=now))
    assert registry.refresh() == 3
    assert registry.assets["SL-00001"].zone == "Nord"
    assert {"SL-00005", "SL-00009"} <= set(registry.assets)
    assert registry.refresh() == 0
