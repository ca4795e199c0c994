"""Asset types, typed attributes and check_asset (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from vigie.assets.domain import AssetDraft, AssetInvalid, check_asset, coerce_value
from vigie.assets.types import ASSET_TYPES, STATUSES, AttrType, add_years, registry_json

from .conftest import camera, light


def _problems(draft: AssetDraft, coerce: bool = False) -> dict[str, str]:
    with pytest.raises(AssetInvalid) as info:
        check_asset(draft, coerce=coerce)
    return dict(info.value.problems)


def test_domain_registry_has_the_seven_types_with_smart_data_model_names() -> None:
    assert set(ASSET_TYPES) == {
        "street_light",
        "control_cabinet",
        "camera",
        "traffic_signal_controller",
        "traffic_detector",
        "road_weather_station",
        "vehicle",
    }
    sl = ASSET_TYPES["street_light"].attributes
    assert sl["lampTechnology"].values == ("HPS", "LPS", "LED", "MH", "MV", "INC", "other")
    assert sl["lampTechnology"].required
    assert sl["powerRating"].unit == "W"
    assert sl["lanternHeight"].unit == "m"
    assert sl["dateLastLampChange"].type is AttrType.DATE
    assert ASSET_TYPES["street_light"].links["refStreetlightControlCabinet"].target_type == (
        "control_cabinet"
    )
    cab = ASSET_TYPES["control_cabinet"].attributes
    assert cab["workingMode"].values == ("automatic", "manual", "semiautomatic")
    assert cab["maximumPowerAvailable"].unit == "kVA"
    assert STATUSES == ("in_service", "out_of_service", "maintenance", "planned", "removed")
    doc = registry_json()
    assert [t["code"] for t in doc["types"]] == list(ASSET_TYPES)


def test_domain_check_asset_normalises_a_valid_light() -> None:
    draft = light("SL-021231-00001", 47.32, 5.04, watts=40.0)
    draft.attributes["dateLastLampChange"] = date(2024, 5, 2)
    draft.attributes["installer"] = "Citelum"  # a free attribute
    draft.installed_on = "1998-06-30"
    out = check_asset(draft)
    assert out.attributes == {
        "lampTechnology": "LED",
        "powerRating": 40,
        "lanternHeight": 6,
        "dateLastLampChange": "2024-05-02",
        "installer": "Citelum",
    }
    assert out.installed_on == date(1998, 6, 30)
    assert out.links == {"refStreetlightControlCabinet": "CAB-9001"}


def test_domain_check_asset_names_every_field_at_fault() -> None:
    draft = light("SL 1/bad", 47.32, 5.04)
    draft.status = "broken"
    draft.attributes = {"lampTechnology": "sodium", "powerRating": -5, "lanternHeight": "tall"}
    draft.links = {"refCabinet": "CAB-1"}
    problems = _problems(draft)
    assert set(problems) == {
        "id",
        "status",
        "attributes.lampTechnology",
        "attributes.powerRating",
        "attributes.lanternHeight",
        "links.refCabinet",
    }
    assert "not one of HPS, LPS, LED, MH, MV, INC, other" in problems["attributes.lampTechnology"]
    assert "below the minimum 0 W" in problems["attributes.powerRating"]
    assert "is not a number" in problems["attributes.lanternHeight"]
    assert "its links: refStreetlightControlCabinet" in problems["links.refCabinet"]


def test_domain_check_asset_requires_required_attributes_and_a_location() -> None:
    draft = AssetDraft(id="CAB-1", type="control_cabinet", attributes={})
    problems = _problems(draft)
    assert "one of automatic, manual, semiautomatic" in problems["attributes.workingMode"]
    assert "needs a location" in problems["location"]
    # A vehicle is mobile: it may have no position.
    vehicle = AssetDraft(id="VEH-1", type="vehicle", attributes={"vehicleRole": "patrol"})
    assert check_asset(vehicle).lat is None


def test_domain_check_asset_refuses_unknown_type_and_half_a_location() -> None:
    assert "unknown asset type 'lamp'" in _problems(AssetDraft(id="X-1", type="lamp"))["type"]
    half = light("SL-1", 47.32, 5.04)
    half.long = None
    assert _problems(half) == {"long": "lat and long go together"}
    assert "between -90 and 90" in _problems(light("SL-1", 91.0, 5.04))["lat"]


def test_domain_camera_rules_follow_the_french_legal_frame() -> None:
    assert check_asset(camera()).attributes["retentionDays"] == 30
    problems = _problems(camera(retentionDays=45, authorisationExpiry="2030-03-01"))
    assert "above the maximum 30 d" in problems["attributes.retentionDays"]
    problems = _problems(camera(authorisationExpiry="2029-03-02"))
    assert "more than 5 years after authorisationDate" in problems["attributes.authorisationExpiry"]
    # In use without an authorisation: refused; planned: accepted.
    draft = camera()
    del draft.attributes["authorisationDate"], draft.attributes["authorisationExpiry"]
    problems = _problems(draft)
    assert "prefectoral authorisation" in problems["attributes.authorisationDate"]
    draft.status = "planned"
    assert check_asset(draft).status == "planned"


def test_domain_add_years_keeps_the_anniversary_and_29_february_gives_28() -> None:
    assert add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)  # 2029 is a common year
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2023, 3, 1), 5) == date(2028, 3, 1)  # not 5 * 365 + 1 days (29 Feb)
    leap = {"authorisationDate": "2024-02-29"}
    assert check_asset(camera(**leap, authorisationExpiry="2029-02-28"))
    problems = _problems(camera(**leap, authorisationExpiry="2029-03-01"))
    assert "more than 5 years after authorisationDate" in problems["attributes.authorisationExpiry"]


def test_domain_free_attributes_are_plain_values_with_camel_case_names() -> None:
    draft = light("SL-1", 47.32, 5.04)
    draft.attributes.update({"Bad Name": 1, "nested": {"a": 1}, "tags": ["a", 2], "ok": True})
    problems = _problems(draft)
    assert set(problems) == {"attributes.Bad Name", "attributes.nested"}
    assert "a free attribute must be" in problems["attributes.nested"]


def test_domain_coerce_reads_text_as_the_attribute_type() -> None:
    sl = ASSET_TYPES["street_light"].attributes
    assert coerce_value(sl["powerRating"], "400", coerce=True) == 400
    assert coerce_value(sl["lampTechnology"], "led", coerce=True) == "LED"
    assert coerce_value(sl["numberOfLamps"], "2.0", coerce=True) == 2
    tlc = ASSET_TYPES["traffic_signal_controller"].attributes
    assert coerce_value(tlc["busPriority"], "oui", coerce=True) is True
    rws = ASSET_TYPES["road_weather_station"].attributes
    assert coerce_value(rws["controlledProperty"], "temperature, snowHeight", coerce=True) == [
        "temperature",
        "snowHeight",
    ]
    with pytest.raises(ValueError, match="not a whole number"):
        coerce_value(sl["numberOfLamps"], "1.5", coerce=True)
    # Without coerce (the API), JSON types must match.
    with pytest.raises(ValueError, match="is not a number"):
        coerce_value(sl["powerRating"], "400")
    with pytest.raises(ValueError, match="not a boolean"):
        coerce_value(tlc["busPriority"], "yes")


def test_domain_asset_invalid_is_a_validation_problem_naming_the_first_field() -> None:
    with pytest.raises(AssetInvalid) as info:
        check_asset(AssetDraft(id="types", type="vehicle", attributes={}))
    assert info.value.status == 422
    assert info.value.field == "id"
    assert "'types' is reserved" in info.value.message
    assert "attributes.vehicleRole: required for a vehicle" in info.value.message
