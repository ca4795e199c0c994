"""Use cases: nearest assets, links, data version, GeoJSON encodings, events."""

from __future__ import annotations

import json

import pytest

from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import (
    AssetFilter,
    data_version,
    do_create_asset,
    do_update_asset_status,
    get_asset,
    list_assets,
    nearest_assets,
)
from vigie.assets.domain import AssetInvalid
from vigie.assets.geojson import _encode_in_database, _encode_in_python, geojson_layer
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie

from .conftest import DIJON_CENTRE, QUETIGNY, Fleet, light


def test_actions_nearest_assets_orders_by_distance_within_the_radius(
    vigie: Vigie, small_fleet: Fleet
) -> None:
    lat, long = DIJON_CENTRE
    found = nearest_assets(vigie, "street_light", lat + 0.00005, long, 60, 5)
    # SL-T-3 is 61 m away: outside the radius.
    assert [(a.id, round(d)) for a, d in found] == [("SL-T-1", 6), ("SL-T-2", 28), ("SL-T-4", 31)]
    assert [a.id for a, _ in nearest_assets(vigie, "street_light", lat, long, 60, 1)] == ["SL-T-1"]
    # Any type when None; nothing far away.
    assert "CAB-9001" in [a.id for a, _ in nearest_assets(vigie, None, lat, long, 100, 10)]
    assert nearest_assets(vigie, "street_light", QUETIGNY[0] + 0.01, QUETIGNY[1], 50, 5) == []
    # Removed assets are not candidates.
    do_update_asset_status(vigie, "SL-T-1", SYSTEM, "removed", "dépose")
    assert [a.id for a, _ in nearest_assets(vigie, "street_light", lat, long, 60, 1)] == ["SL-T-4"]
    with pytest.raises(ValidationFailed):
        nearest_assets(vigie, "lamp", lat, long, 50, 5)


def test_actions_create_checks_links_duplicates_and_zone(vigie: Vigie, small_fleet: Fleet) -> None:
    lat, long = DIJON_CENTRE
    with pytest.raises(AssetInvalid) as info:
        do_create_asset(vigie, light("SL-N-1", lat, long, cab="CAB-0404"), SYSTEM)
    assert info.value.problems == [("links.refStreetlightControlCabinet", "no asset 'CAB-0404'")]
    with pytest.raises(Conflict):
        do_create_asset(vigie, light("SL-T-1", lat, long), SYSTEM)
    draft = light("SL-N-2", lat, long)
    draft.external_id = "ext-1"
    assert do_create_asset(vigie, draft, SYSTEM).external_id == "ext-1"
    draft = light("SL-N-3", lat, long)
    draft.external_id = "ext-1"
    with pytest.raises(Conflict):
        do_create_asset(vigie, draft, SYSTEM)
    with pytest.raises(NotFound):
        get_asset(vigie, "SL-N-3")


def test_actions_status_change_publishes_an_agent_event(
    vigie: Vigie, small_fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[DomainEvent] = []
    monkeypatch.setattr(vigie.bus, "publish", published.extend)
    do_update_asset_status(vigie, "CAB-9001", SYSTEM, "out_of_service", "disjoncteur")
    do_update_asset_status(vigie, "CAB-9001", SYSTEM, "out_of_service", "again")  # no change
    assert len(published) == 1
    event = published[0]
    assert (event.type, event.public, event.report_ids) == ("asset.updated", False, ())
    assert event.payload["asset"]["status"] == "out_of_service"
    assert event.payload["asset"]["previous_status"] == "in_service"


def test_actions_data_version_changes_with_every_write(vigie: Vigie, small_fleet: Fleet) -> None:
    before = data_version(vigie)
    assert before.startswith(f"{len(small_fleet)}:")
    do_update_asset_status(vigie, "SL-T-2", SYSTEM, "maintenance")
    middle = data_version(vigie)
    assert middle != before
    do_create_asset(vigie, light("SL-N-9", *DIJON_CENTRE), SYSTEM)
    assert data_version(vigie) not in (before, middle)


def test_actions_list_assets_pages_and_limits(vigie: Vigie, small_fleet: Fleet) -> None:
    rows, more = list_assets(vigie, AssetFilter(types=["street_light"]), 1, 2)
    assert ([r.id for r in rows], more) == (["SL-Q-1", "SL-T-1"], True)
    rows, more = list_assets(vigie, AssetFilter(ids=["SL-T-4", "CAM-9001"]))
    assert ([r.id for r in rows], more) == (["CAM-9001", "SL-T-4"], False)
    with pytest.raises(ValidationFailed):
        list_assets(vigie, None, 0)
    with pytest.raises(ValidationFailed):
        list_assets(vigie, None, 1, 5000)


def test_actions_geojson_database_and_python_encodings_agree(vigie: Vigie, small_fleet: Fleet) -> None:
    named = light("SL-Q-2", QUETIGNY[0], QUETIGNY[1] + 0.0003, cab=None)
    named.name = 'Rue "Chabot-Charny" — éclairage \\ test'
    named.attributes["lanternHeight"] = 5.5
    do_create_asset(vigie, named, SYSTEM)
    names = ["lampTechnology", "powerRating", "lanternHeight"]
    f = AssetFilter(types=["street_light"])
    with vigie.db.session() as s:
        in_db, n_db = _encode_in_database(s, f, names)
        in_py, n_py = _encode_in_python(s, f, names)
    assert n_db == n_py == 6

    def by_id(body: bytes) -> dict[str, object]:
        out = {}
        for x in json.loads(body)["features"]:
            # SQLite writes REALs with 15 significant digits, Python the shortest exact form.
            x["geometry"]["coordinates"] = [round(c, 9) for c in x["geometry"]["coordinates"]]
            out[x["id"]] = x
        return out

    assert by_id(in_db) == by_id(in_py)
    props = by_id(in_db)["SL-Q-2"]["properties"]  # type: ignore[index]
    assert props["name"] == 'Rue "Chabot-Charny" — éclairage \\ test'
    assert props["lanternHeight"] == 5.5
    layer = geojson_layer(vigie, AssetFilter(), ["lampTechnology"])
    assert layer is geojson_layer(vigie, AssetFilter(), ["lampTechnology"])  # cached
    assert layer.features == len(small_fleet)  # + SL-Q-2, - the vehicle (no position)
