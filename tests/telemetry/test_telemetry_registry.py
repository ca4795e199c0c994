"""The registry's one-kind reader agrees with the in-memory registry's classification."""

from __future__ import annotations

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
