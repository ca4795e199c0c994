"""run_import on small hand-written CSV and GeoJSON files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from vigie.importer import run as run_module
from vigie.importer.run import run_import
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.sources.reading import ImportResult

MAPPING = """\
format: csv
external_id: {column: id, prefix: "test:"}
null_values: ["NA"]
dates:
  formats: ["%Y-%m-%d %H:%M:%S"]
location: {lat: lat, long: long}
fields:
  service_code:
    columns: [category, type]
    join: "/"
    value_map:
      Streetlights: streetlight
      "Street Defects": street-defect
      "Street Defects/Manhole": street-defect
      "Sewer Issues": sewer
      "Sewer Issues/Water_leak": water-leak
  description: {columns: [type, details], join: " — "}
  address: {column: address}
  requested_at: {column: opened}
  closed_at: {column: closed}
  status: {column: status, value_map: {Open: new, Closed: resolved}}
  status_notes: {column: notes}
"""

# Physical line numbers on the right; the file starts with a byte-order mark.
CSV = (
    "id,opened,closed,status,notes,category,type,details,address,lat,long\n"  # 1
    "1,2015-03-01 10:00:00,2015-03-02 09:30:00,Closed,Fixed,Streetlights,Light_Out,NA,"
    '"1 Dr Carlton B Goodlett Pl",37.7793,-122.4193\n'  # 2
    "2,2015-13-45 10:00:00,NA,Open,NA,Streetlights,,,Market St,37.7793,-122.4193\n"  # 3
    "3,2015-03-01 11:00:00,NA,Open,NA,Street Defects,Pothole,,somewhere,NA,NA\n"  # 4
    '4,2015-03-01 12:00:00,NA,Open,NA,Sewer Issues,Water_leak,"Water running\n'  # 5
    "down the street,\n"  # 6
    'near the hydrant",Mission St,37.7599,-122.4148\n'  # 7
    "5,2015-03-01 13:00:00,NA,Open,NA,Streetlights,,,Paris,48.8566,2.3522\n"  # 8
    "6,2015-03-01 14:00:00,NA,Open,NA,Alien Landing,Saucer,,Dolores Park,37.7596,-122.4269\n"  # 9
    "7,2015-03-01 15:00:00,NA,Pending,NA,Streetlights,,,Castro St,37.7609,-122.4350\n"  # 10
    "8,2015-03-01 16:00:00,NA,Open,NA,Streetlights,,,Castro St,37.7609,NA\n"  # 11
    ",2015-03-01 17:00:00,NA,Open,NA,Streetlights,,,Castro St,37.7609,-122.4350\n"  # 12
    "9,2015-03-01 18:00:00,NA,Open,NA,Street Defects,Manhole,,"
    '"Valencia St, SAN FRANCISCO, CA",,\n'  # 13
    "1,2015-03-01 10:00:00,NA,Open,NA,Streetlights,,,Castro St,37.7609,-122.4350\n"  # 14
    "\n"  # 15
    "10,2015-03-01 19:00:00,2015-03-01 20:00:00,Closed,NA,Sewer Issues,Flooding,,"
    "Noe St,37.7510,-122.4330\n"  # 16
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    mapping = tmp_path / "test-mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    data = tmp_path / "reports.csv"
    data.write_bytes(CSV.encode("utf-8-sig"))
    return data, mapping


def _report(v: Vigie, external_id: str) -> ReportRow:
    with v.db.session() as s:
        row = s.scalar(select(ReportRow).where(ReportRow.external_id == external_id))
    assert row is not None, external_id
    return row


def _count(v: Vigie, model: Any = ReportRow) -> int:
    with v.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("batch_size", [2, 500])
def test_import_bad_rows_are_reported_by_line_and_good_rows_loaded(
    sf: Vigie, files: tuple[Path, Path], batch_size: int
) -> None:
    data, mapping = files
    result = run_import(sf, data, str(mapping), batch_size=batch_size)

    assert [line for line, _ in result.failed] == [3, 4, 8, 9, 10, 11, 12]
    reasons = dict(result.failed)
    assert reasons[3] == "requested_at: '2015-13-45 10:00:00' is not a date ('%Y-%m-%d %H:%M:%S' or ISO 8601)"
    assert reasons[4].startswith("address_string: cannot place this address")
    assert reasons[8].startswith("location: this location is outside San Francisco")
    assert reasons[9] == (
        "service_code: 'Alien Landing/Saucer' is not in the value_map of service_code and it has no default"
    )
    assert reasons[10] == "status: 'Pending' is not in the value_map of status and it has no default"
    assert reasons[11] == "location: lat and long must be given together"
    assert reasons[12] == "external_id: id is empty"
    # Line 14 repeats id 1: the first one wins, the repeat is skipped.
    assert (result.created, result.skipped) == (4, 1)
    assert _count(sf) == 4

    lit = _report(sf, "test:1")
    assert (lit.service_code, lit.status, lit.status_notes) == ("streetlight", "resolved", "Fixed")
    assert lit.description == "Light_Out"
    # Naive dates are San Francisco time (the city's zone): PST is UTC-8.
    assert lit.requested_at == datetime(2015, 3, 1, 18, 0, tzinfo=UTC)
    assert lit.closed_at == datetime(2015, 3, 2, 17, 30, tzinfo=UTC)
    assert lit.channel == "import"
    leak = _report(sf, "test:4")
    assert leak.service_code == "water-leak"
    assert leak.description == "Water_leak — Water running\ndown the street,\nnear the hydrant"
    assert (leak.status, leak.closed_at) == ("new", None)
    placed = _report(sf, "test:9")  # no coordinates: placed by the city name in its address
    assert (placed.service_code, placed.zone, placed.lat) == (
        "street-defect",
        "san-francisco",
        None,
    )
    flood = _report(sf, "test:10")  # "Sewer Issues/Flooding" falls back to "Sewer Issues"
    assert flood.service_code == "sewer"


def test_import_rerun_creates_nothing(sf: Vigie, files: tuple[Path, Path]) -> None:
    data, mapping = files
    first = run_import(sf, data, str(mapping))
    again = run_import(sf, data, str(mapping))
    assert (again.created, again.skipped) == (0, first.created + first.skipped)
    assert again.failed == first.failed
    assert _count(sf) == first.created == 4


def test_import_leaves_the_garbage_collector_as_it_found_it(
    sf: Vigie, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import keeps the process's older objects out of the collector's passes while it
    runs (sources.reading.long_lived_objects_frozen), and gives them back after, even when
    it fails."""
    import gc

    data, mapping = files
    threshold = gc.get_threshold()
    seen: list[tuple[int, int]] = []
    check = run_module._check

    def spying(*args: Any) -> Any:
        seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))
        return check(*args)

    monkeypatch.setattr(run_module, "_check", spying)
    run_import(sf, data, str(mapping))
    with pytest.raises(FileNotFoundError), run_module.long_lived_objects_frozen():
        raise FileNotFoundError
    assert seen and all(frozen > 0 and young >= 20_000 for frozen, young in seen)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold


def test_import_row_database_error_rolls_back_only_that_row(
    sf: Vigie, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data, mapping = files
    real_create = run_module.do_create_reports

    def flaky_create(v: Vigie, batch: Any, **kw: Any) -> Any:
        if any(c.sub.external_id == "test:4" for c in batch):
            raise SQLAlchemyError("disk on fire")
        return real_create(v, batch, **kw)

    monkeypatch.setattr(run_module, "do_create_reports", flaky_create)
    result = run_import(sf, data, str(mapping))
    assert (5, "database: disk on fire") in result.failed
    assert result.created == 3
    with sf.db.session() as s:
        ids = set(s.scalars(select(ReportRow.external_id)))
    assert ids == {"test:1", "test:9", "test:10"}
    # Its history entries were rolled back with it: two per resolved report, one per new.
    assert _count(sf, ReportUpdateRow) == 2 + 1 + 2


def test_import_summary_lists_twenty_failures_and_counts_the_rest() -> None:
    result = ImportResult(file="x.csv", mapping="m", created=3, skipped=1, elapsed=1.25)
    result.failed = [(n, f"lat: bad {n}") for n in range(2, 27)]
    lines = result.summary_lines()
    assert lines[:4] == [
        "x.csv: 29 records read in 1.2 s (mapping m)",
        "  created: 3",
        "  skipped (already imported): 1",
        "  failed: 25",
    ]
    assert lines[4] == "  line 2: lat: bad 2"
    assert lines[23] == "  line 21: lat: bad 21"
    assert lines[24:] == ["  … and 5 more failures"]


GEO_MAPPING = """\
format: geojson
external_id: {column: id, prefix: "geo:"}
dates: {timezone: Europe/Paris}
fields:
  service_code: {column: kind, value_map: {light: streetlight, hole: street-defect}}
  description: {column: text}
  requested_at: {column: opened}
  status: {column: state, value_map: {open: new, done: resolved}, default: new}
"""


def _feature(props: dict[str, Any], geometry: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry, **extra}


def test_import_geojson_uses_point_geometry_and_reports_feature_indexes(sf: Vigie, tmp_path: Path) -> None:
    point = {"type": "Point", "coordinates": [-122.4193, 37.7793]}
    features = [
        _feature(
            {
                "id": 101,
                "kind": "light",
                "text": "Out",
                "opened": "2015-03-01T10:00:00-08:00",
                "state": "done",
            },
            point,
        ),
        _feature(
            {"id": 102, "kind": "light", "opened": "2015-03-01T10:00:00"},
            {"type": "Point", "coordinates": [2.3522, 48.8566]},
        ),
        _feature({"id": 103, "kind": "hole", "opened": "2015-03-01T10:00:00"}, None),
        _feature(
            {"id": 104, "kind": "hole", "opened": "2015-03-01T10:00:00"},
            {
                "type": "Polygon",
                "coordinates": [[[-122.42, 37.77], [-122.41, 37.77], [-122.41, 37.78], [-122.42, 37.77]]],
            },
        ),
        _feature({"kind": "hole", "opened": "2015-03-01 10:00:00", "state": None}, point, id="abc"),
        "not a feature",
    ]
    path = tmp_path / "reports.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    mapping = tmp_path / "geo.yaml"
    mapping.write_text(GEO_MAPPING, encoding="utf-8")

    result = run_import(sf, path, str(mapping))

    assert result.unit == "feature"
    assert (result.created, result.skipped) == (2, 0)
    assert [index for index, _ in result.failed] == [1, 2, 3, 5]
    reasons = dict(result.failed)
    assert reasons[1].startswith("location: this location is outside San Francisco")
    assert reasons[2] == "location: no point (the feature's geometry is empty) and no address"
    assert reasons[3] == "location: the feature's geometry is a Polygon; only Point features can be imported"
    assert reasons[5] == "the feature is not a JSON object"
    assert any(line.startswith("  features[1]: location:") for line in result.summary_lines())

    light = _report(sf, "geo:101")
    assert (light.service_code, light.status, light.description) == (
        "streetlight",
        "resolved",
        "Out",
    )
    assert (light.lat, light.long) == (37.7793, -122.4193)
    assert light.requested_at == datetime(2015, 3, 1, 18, 0, tzinfo=UTC)  # explicit offset kept
    hole = _report(sf, "geo:abc")  # the feature's own id when properties have none
    assert (hole.service_code, hole.status) == ("street-defect", "new")
    assert hole.requested_at == datetime(2015, 3, 1, 9, 0, tzinfo=UTC)  # naive: Europe/Paris (UTC+1)
