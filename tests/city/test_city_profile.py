from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from vigie.city.profile import PROFILES_DIR, load_profile
from vigie.errors import ConfigurationError

DC = PROFILES_DIR / "washingtondc"


def copy_profile(tmp_path: Path, source: Path = DC) -> Path:
    target = tmp_path / "profile"
    shutil.copytree(source, target)
    return target / "city.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_city_profile_holidays_follow_country_and_subdivision():
    dijon = load_profile("dijon").business_hours
    assert dijon.is_holiday(date(2026, 11, 11)) and dijon.is_holiday(date(2026, 5, 25))  # Whit Monday
    assert not dijon.is_holiday(date(2026, 12, 26))
    dc = load_profile("washingtondc").business_hours
    assert dc.is_holiday(date(2026, 7, 3))  # 4 July 2026 is a Saturday: observed on Friday
    assert dc.is_holiday(date(2026, 4, 16))  # DC Emancipation Day, the District's own
    assert not load_profile("sanfrancisco").business_hours.is_holiday(date(2026, 4, 16))
    assert not dc.is_holiday(date(2026, 11, 12))


def test_city_profile_holidays_of_a_subdivision(tmp_path):
    city = copy_profile(tmp_path, PROFILES_DIR / "dijon")
    edit(city, "holidays: FR\n", "holidays: FR\n  holidays_subdivision: '57'\n")
    moselle = load_profile(str(city)).business_hours
    assert moselle.is_holiday(date(2026, 12, 26))  # St Stephen's day, Alsace-Moselle only
    assert moselle.is_holiday(date(2026, 4, 3))  # Good Friday


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("holidays: US", "holidays: XX", "business_hours.holidays", "unknown country 'XX'"),
        (
            "holidays_subdivision: DC",
            "holidays_subdivision: ZZ",
            "business_hours.holidays_subdivision",
            "unknown subdivision 'ZZ' of US",
        ),
        ("America/New_York", "Mars/Olympus", "timezone", "unknown time zone"),
        ('end: "17:00"', 'end: "07:00"', "business_hours.end", "must be after"),
        ("reference_prefix: DC", "reference_prefix: dc", "reference_prefix", "'dc' is not 2 to 5 capital"),
        # Said in words, not as the regular expression that checks it.
        (
            "reference_prefix: DC",
            "legal: {notice: pages/notice.md}\nreference_prefix: DC",
            "legal.notice",
            "'pages/notice.md' is not a link (https://…), a path on this site (/…) "
            "or the name of a Markdown file beside city.yaml (notice.md)",
        ),
        ('end: "17:00"', 'end: "5pm"', "business_hours.end", "'5pm' is not a time written HH:MM"),
    ],
)
def test_city_profile_errors_name_city_yaml_line_and_field(tmp_path, old, new, field, message):
    city = copy_profile(tmp_path)
    edit(city, old, new)
    with pytest.raises(ConfigurationError) as exc:
        load_profile(str(city))
    (problem,) = exc.value.problems
    line = 1 + city.read_text(encoding="utf-8").split(new)[0].count("\n")
    assert (problem.file, problem.line, problem.field) == (str(city), line, field)
    assert message in problem.message
    assert exc.value.summary() == f"1 problem in {city}"


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (lambda g: g["features"][0]["properties"].pop("code"), "features[0].properties", "has no 'code'"),
        # A misspelt name_property would show codes for names everywhere: said, not guessed.
        (
            lambda g: g["features"][0]["properties"].pop("name"),
            "features[0].properties",
            "has no 'name' (name_property)",
        ),
        (
            lambda g: g["features"][0].update(geometry={"type": "Point", "coordinates": [0, 0]}),
            "features[0].geometry",
            "not a (Multi)Polygon",
        ),
        (lambda g: g.update(features=[]), "(document)", "FeatureCollection"),
    ],
)
def test_city_profile_zone_errors_name_the_geojson_file(tmp_path, change, where, message):
    city = copy_profile(tmp_path)
    zones = city.parent / "zones.geojson"
    geojson = json.loads(zones.read_text(encoding="utf-8"))
    change(geojson)
    zones.write_text(json.dumps(geojson), encoding="utf-8")
    with pytest.raises(ConfigurationError) as exc:
        load_profile(str(city))
    (problem,) = exc.value.problems
    assert (problem.file, problem.field) == (str(zones), where)
    assert message in problem.message


def test_city_profile_unknown_key_is_refused_with_its_line(tmp_path):
    city = copy_profile(tmp_path)
    edit(city, "languages: [en]\n", "languages: [en]\nlanguage: en\n")
    with pytest.raises(ConfigurationError) as exc:
        load_profile(str(city))
    (problem,) = exc.value.problems
    line = city.read_text(encoding="utf-8").splitlines().index("language: en") + 1
    assert (problem.file, problem.line, problem.field) == (str(city), line, "language")
    assert problem.message.startswith("unknown key 'language' (expected one of: address_example,")


def test_city_profile_centre_is_its_center_else_the_middle_of_its_zones(tmp_path):
    assert load_profile("dijon").centre == (47.3220, 5.0415)
    city = copy_profile(tmp_path, PROFILES_DIR / "dijon")
    edit(city, "center: {lat: 47.3220, long: 5.0415, zoom: 12}\n", "")
    profile = load_profile(str(city))
    west, south, east, north = profile.zones.bbox
    lat, long = profile.centre
    assert south < lat < north and west < long < east
    assert (lat, long) == ((south + north) / 2, (west + east) / 2)


def test_city_profile_dijon_states_its_publication_policy():
    """The default policy publishes residents' text, photos and exact positions: Dijon's profile
    said nothing, so nobody had stated that choice. It is written out in full now."""
    import yaml

    raw = yaml.safe_load((PROFILES_DIR / "dijon" / "city.yaml").read_text(encoding="utf-8"))
    assert set(raw.get("publication") or {}) == {"description", "photos", "position_m", "time"}
    policy = load_profile("dijon").publication
    assert (policy.description, policy.photos, policy.position_m, policy.time) == (
        "always",
        "always",
        0,
        "exact",
    )
