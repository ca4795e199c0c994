"""GeoJSON layers built incrementally: every write shows in the next layer, filters hold, gzip chunks."""

from __future__ import annotations

import gzip
import json
import threading
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from vigie.accounts.domain import SYSTEM
from vigie.assets import geojson, gzipchunks
from vigie.assets.actions import AssetFilter, do_create_asset, do_update_asset_status
from vigie.assets.geojson import _encode_in_python, cache_of, geojson_layer
from vigie.assets.gzipchunks import gzip_layer
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.runtime import Vigie

from .conftest import DIJON_CENTRE, QUETIGNY, Fleet, light

LOCATED = {"CAB-9001", "SL-T-1", "SL-T-2", "SL-T-3", "SL-T-4", "SL-Q-1", "CAM-9001"}


def _features(body: bytes) -> dict[str, dict[str, Any]]:
    doc = json.loads(body)
    assert doc["type"] == "FeatureCollection"
    return {f["id"]: f for f in doc["features"]}


def _layer(v: Vigie, f: AssetFilter | None = None, names: list[str] | None = None) -> dict[str, Any]:
    layer = geojson_layer(v, f or AssetFilter(), names)
    features = _features(layer.body)
    assert layer.features == len(features)
    return features


def _touch(v: Vigie, asset_id: str, **values: Any) -> None:
    """A write by another writer of the assets table (it sets updated_at, as they all must)."""
    with v.db.session(write=True) as s:
        s.execute(update(AssetRow).where(AssetRow.id == asset_id).values(updated_at=utcnow(), **values))
        s.commit()


def _delete(v: Vigie, asset_id: str) -> None:
    with v.db.session(write=True) as s:
        s.execute(delete(AssetRow).where(AssetRow.id == asset_id))
        s.commit()


def _spy_fetch(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    calls: list[list[str] | None] = []
    real = geojson._fetch

    def spy(s: Any, f: AssetFilter, names: list[str], ids: list[str] | None) -> Any:
        calls.append(None if ids is None else sorted(ids))
        return real(s, f, names, ids)

    monkeypatch.setattr(geojson, "_fetch", spy)
    return calls


def test_geojson_layer_shows_a_change_an_addition_and_a_deletion(vigie: Vigie, small_fleet: Fleet) -> None:
    assert set(_layer(vigie)) == LOCATED
    do_update_asset_status(vigie, "SL-T-1", SYSTEM, "out_of_service")
    assert _layer(vigie)["SL-T-1"]["properties"]["status"] == "out_of_service"

    do_create_asset(vigie, light("SL-T-5", DIJON_CENTRE[0] + 0.001, DIJON_CENTRE[1]), SYSTEM)
    features = _layer(vigie)
    assert set(features) == LOCATED | {"SL-T-5"}
    assert features["SL-T-5"]["geometry"]["coordinates"] == [DIJON_CENTRE[1], DIJON_CENTRE[0] + 0.001]

    _delete(vigie, "SL-T-2")
    assert set(_layer(vigie)) == LOCATED - {"SL-T-2"} | {"SL-T-5"}


def test_geojson_layer_reencodes_only_the_changed_assets(
    vigie: Vigie, small_fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy_fetch(monkeypatch)
    _layer(vigie)
    assert calls == [None]  # the first build encodes the whole layer at once
    calls.clear()
    _layer(vigie)
    assert calls == []  # cached
    do_update_asset_status(vigie, "SL-T-3", SYSTEM, "in_service")
    assert _layer(vigie)["SL-T-3"]["properties"]["status"] == "in_service"
    assert calls == [["SL-T-3"]]
    calls.clear()
    _delete(vigie, "CAB-9001")
    assert "CAB-9001" not in _layer(vigie)
    assert calls == []  # a deletion needs no encoding at all
    # Another filter reuses the features encoded for the first one.
    assert set(_layer(vigie, AssetFilter(types=["street_light"]))) == {
        "SL-T-1",
        "SL-T-2",
        "SL-T-3",
        "SL-T-4",
        "SL-Q-1",
    }
    assert calls == []


def test_geojson_layer_filters_follow_the_writes(vigie: Vigie, small_fleet: Fleet) -> None:
    in_service = AssetFilter(types=["street_light"], statuses=["in_service"])
    quetigny = AssetFilter(zones=["21515"])
    box = AssetFilter(bbox=(5.10, 47.30, 5.12, 47.32))  # around Quetigny's light
    tech = AssetFilter(types=["street_light"])
    assert set(_layer(vigie, in_service)) == {"SL-T-1", "SL-T-2", "SL-T-4", "SL-Q-1"}
    assert set(_layer(vigie, quetigny)) == {"SL-Q-1"}
    assert set(_layer(vigie, box)) == {"SL-Q-1"}
    assert _layer(vigie, tech, ["lampTechnology"])["SL-T-2"]["properties"]["lampTechnology"] == "HPS"

    do_update_asset_status(vigie, "SL-T-1", SYSTEM, "maintenance")
    _touch(vigie, "SL-Q-1", lat=DIJON_CENTRE[0], long=DIJON_CENTRE[1] + 0.001, zone="21231")
    _touch(vigie, "SL-T-2", attributes={"lampTechnology": "LED", "powerRating": 30})
    _touch(vigie, "SL-T-4", lat=None, long=None)  # no place any more: off every map

    assert set(_layer(vigie, in_service)) == {"SL-T-2", "SL-Q-1"}
    assert _layer(vigie, quetigny) == {}
    assert _layer(vigie, box) == {}
    lights = _layer(vigie, tech, ["lampTechnology"])
    assert lights["SL-T-2"]["properties"]["lampTechnology"] == "LED"
    assert set(lights) == {"SL-T-1", "SL-T-2", "SL-T-3", "SL-Q-1"}
    assert lights["SL-Q-1"]["geometry"]["coordinates"] == [DIJON_CENTRE[1] + 0.001, DIJON_CENTRE[0]]


def _by_id(body: bytes) -> dict[str, Any]:
    out = {}
    for fid, x in _features(body).items():
        # SQLite writes REALs with 15 significant digits, Python the shortest exact form.
        x["geometry"]["coordinates"] = [round(c, 9) for c in x["geometry"]["coordinates"]]
        out[fid] = x
    return out


@pytest.mark.parametrize(
    ("f", "names"),
    [
        (AssetFilter(), []),
        (AssetFilter(types=["street_light"]), ["lampTechnology", "powerRating"]),
        (AssetFilter(statuses=["in_service"], zones=["21231"]), []),
        (AssetFilter(groups=["21231-G001"]), []),
    ],
)
def test_geojson_incremental_layer_equals_a_full_encoding(
    vigie: Vigie, small_fleet: Fleet, f: AssetFilter, names: list[str]
) -> None:
    geojson_layer(vigie, f, names)
    do_update_asset_status(vigie, "SL-T-2", SYSTEM, "maintenance")
    do_create_asset(vigie, light("SL-Q-2", QUETIGNY[0], QUETIGNY[1] + 0.0003, group="21231-G001"), SYSTEM)
    _touch(vigie, "SL-T-1", name='Rue "Chabot-Charny" — éclairage', group="21231-G002")
    _delete(vigie, "SL-T-4")
    layer = geojson_layer(vigie, f, names)
    with vigie.db.session() as s:
        full, count = _encode_in_python(s, f, names)
    assert layer.features == count
    assert _by_id(layer.body) == _by_id(full)


def test_geojson_gzip_is_the_body_and_follows_writes(vigie: Vigie, small_fleet: Fleet) -> None:
    layer = geojson_layer(vigie, AssetFilter())
    assert gzip.decompress(layer.gzipped()) == layer.body
    do_update_asset_status(vigie, "CAM-9001", SYSTEM, "maintenance")
    after = geojson_layer(vigie, AssetFilter())
    assert after is not layer
    assert gzip.decompress(after.gzipped()) == after.body
    assert _features(after.body)["CAM-9001"]["properties"]["status"] == "maintenance"
    empty = geojson_layer(vigie, AssetFilter(zones=["21003"]))
    assert gzip.decompress(empty.gzipped()) == empty.body == b'{"type":"FeatureCollection","features":[]}'


def test_geojson_gzip_layer_recompresses_only_the_changed_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [b'{"type":"Feature","id":"SL-%05d","properties":{}}' % i for i in range(20_000)]
    body = b'{"type":"FeatureCollection","features":[' + b",".join(parts) + b"]}"
    first, chunks = gzip_layer(body, parts, None)
    assert gzip.decompress(first) == body
    assert len(chunks) > 10  # about one chunk per 512 features

    deflated: list[int] = []
    real = gzipchunks._deflate
    monkeypatch.setattr(gzipchunks, "_deflate", lambda data: deflated.append(len(data)) or real(data))
    changed = parts.copy()
    changed[7_000] = b'{"type":"Feature","id":"SL-07000","properties":{"x":1}}'
    del changed[12_000]
    body2 = b'{"type":"FeatureCollection","features":[' + b",".join(changed) + b"]}"
    second, _ = gzip_layer(body2, changed, chunks)
    assert gzip.decompress(second) == body2
    # Head and tail, plus the chunks holding the changed and the removed feature (or their neighbours).
    assert 2 <= len(deflated) <= 2 + 4


def test_geojson_concurrent_requests_never_see_a_partial_layer(vigie: Vigie, small_fleet: Fleet) -> None:
    geojson_layer(vigie, AssetFilter())
    seen: list[int] = []
    problems: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(15):
                layer = geojson_layer(vigie, AssetFilter(types=["street_light"]))
                assert len(_features(layer.body)) == layer.features == 5
                seen.append(layer.features)
        except BaseException as exc:  # noqa: BLE001 - reported below
            problems.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for i in range(10):
        do_update_asset_status(vigie, "SL-T-4", SYSTEM, "maintenance" if i % 2 == 0 else "in_service")
    for t in readers:
        t.join()
    assert not problems, problems
    assert len(seen) == 60
    assert _layer(vigie, AssetFilter(ids=["SL-T-4"]))["SL-T-4"]["properties"]["status"] == "in_service"


def test_geojson_store_forgets_deleted_assets(vigie: Vigie, small_fleet: Fleet) -> None:
    _layer(vigie, AssetFilter(types=["street_light"]))
    store = cache_of(vigie).store(())
    assert len(store) == 5
    _delete(vigie, "SL-T-1")
    _delete(vigie, "SL-T-2")
    _layer(vigie)  # the whole fleet: every located asset is in its keys
    assert len(store) == len(LOCATED) - 2
    assert set(store.key_of) == LOCATED - {"SL-T-1", "SL-T-2"}


def test_geojson_unusual_ids_are_read_row_by_row(vigie: Vigie, small_fleet: Fleet) -> None:
    # Ids are checked on every API and import, but the layer must not break on a row
    # written by hand holding its key separators.
    odd = "ODD\x1eID\x1fX"
    row = {
        "id": odd,
        "type": "street_light",
        "name": "",
        "lat": DIJON_CENTRE[0],
        "long": DIJON_CENTRE[1],
        "zone": "21231",
        "status": "in_service",
        "group": "",
        "attributes": {"lampTechnology": "LED"},
        "links": {},
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    with vigie.db.session(write=True) as s:
        s.execute(insert(AssetRow), [row])
        s.commit()
    features = _layer(vigie)
    assert set(features) == LOCATED | {odd}
    do_update_asset_status(vigie, "SL-T-1", SYSTEM, "maintenance")
    features = _layer(vigie)
    assert set(features) == LOCATED | {odd}
    assert features["SL-T-1"]["properties"]["status"] == "maintenance"
