"""Asset imports: mappings, hand-written CSV/GeoJSON files and the real DDOT sample."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from vigie.assets.importer import run_asset_import
from vigie.assets.mapping import load_asset_mapping
from vigie.assets.storage import AssetRow
from vigie.cli.assets import import_assets
from vigie.errors import ConfigurationError
from vigie.runtime import Vigie

DC_SAMPLE_ROWS = 3963  # documented in /work/shared/data/README.md

MAPPING = """\
format: csv
external_id: {column: id, prefix: "test:"}
null_values: ["-"]
dates: {formats: ["%d/%m/%Y"]}
location: {lat: lat, long: long}
fields:
  id: {column: id, prefix: "T-"}
  type:
    column: kind
    value_map: {cabinet: control_cabinet, light: street_light}
  name: {column: name}
  status: {column: state, value_map: {ok: in_service, broken: out_of_service}}
  installed_on: {column: installed}
  group: {column: sector}
attributes:
  workingMode: {value: automatic}
  lampTechnology:
    column: tech
    value_map: {LED: LED, Sodium: HPS}
  powerRating: {column: watts}
  lanternHeight: {column: height, pattern: '^([0-9.]+) m$'}
free_attributes:
  contractor: {column: contractor}
links:
  refStreetlightControlCabinet: {column: cabinet, prefix: "T-"}
"""

HEADER = "id,kind,name,lat,long,tech,watts,height,cabinet,installed,state,sector,contractor\n"
# Physical line numbers on the right; the file starts with a byte-order mark.
ROWS = (
    "C1,cabinet,Armoire 1,47.3225,5.0420,-,-,-,-,04/05/2001,ok,-,Citelum\n"  # 2
    "L1,light,,47.3221,5.0416,LED,40,6 m,C1,02/03/2019,ok,21231-G001,Citelum\n"  # 3
    'L2,light,"Rue\nde la Liberté",47.3222,5.0417,LED,30,5 m,C1,-,ok,21231-G001,-\n'  # 4-5
    "L3,light,,47.3223,5.0418,LED,abc,6 m,C1,-,ok,21231-G001,-\n"  # 6
    "L4,light,,48.8566,2.3522,LED,40,6 m,C1,-,ok,21231-G001,-\n"  # 7
    "L5,light,,47.3224,5.0419,LED,40,6 m,C9,-,ok,21231-G001,-\n"  # 8
    ",light,,47.3224,5.0419,LED,40,6 m,C1,-,ok,21231-G001,-\n"  # 9
    "B1,bench,,47.3224,5.0419,-,-,-,-,-,ok,-,-\n"  # 10
    "L1,light,,47.3221,5.0416,LED,40,6 m,C1,02/03/2019,ok,21231-G001,Citelum\n"  # 11
    "L6,light,,47.3226,5.0421,LED,40,tall,C1,-,ok,21231-G001,-\n"  # 12
    "L7,light,,47.3226,5.0421,LED,40,6 m,C1,45/13/2019,ok,21231-G001,-\n"  # 13
    "L8,light,,47.3227,5.0422,Sodium,100,8 m,C1,-,broken,21231-G002,-\n"  # 14
)


def _write(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def _count(v: Vigie, *where: Any) -> int:
    with v.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(AssetRow).where(*where)) or 0)


def test_import_csv_reports_bad_rows_with_line_numbers_and_reruns_idempotently(
    vigie: Vigie, tmp_path: Path
) -> None:
    mapping = _write(tmp_path, "m.yaml", MAPPING)
    data = _write(tmp_path, "assets.csv", HEADER + ROWS, bom=True)

    result = run_asset_import(vigie, data, mapping, batch_size=4)
    failed = dict(result.failed)
    assert (result.created, result.skipped) == (4, 1), result.summary_lines()
    assert sorted(failed) == [6, 7, 8, 9, 10, 12, 13]
    assert failed[6] == "attributes.powerRating: 'abc' is not a number"
    assert failed[7].startswith("location: (48.8566, 2.3522) is outside every zone of Dijon")
    assert failed[8] == "links.refStreetlightControlCabinet: no asset 'T-C9'"
    assert failed[9] == "external_id: id is empty"
    assert "type: 'bench' is not in the value_map of type" in failed[10]
    assert "attributes.lanternHeight: 'tall' does not match the pattern" in failed[12]
    assert failed[13].startswith("installed_on: '45/13/2019' is not a date ('%d/%m/%Y'")
    assert result.created_by_type == {"control_cabinet": 1, "street_light": 3}
    lines = result.summary_lines()
    assert "  created by type: control_cabinet 1, street_light 3" in lines
    assert "  line 8: links.refStreetlightControlCabinet: no asset 'T-C9'" in lines

    with vigie.db.session() as s:
        cab = s.get(AssetRow, "T-C1")
        l1 = s.get(AssetRow, "T-L1")
        l2 = s.get(AssetRow, "T-L2")
        l8 = s.get(AssetRow, "T-L8")
    assert cab is not None and l1 is not None and l2 is not None and l8 is not None
    assert cab.attributes == {"workingMode": "automatic", "contractor": "Citelum"}
    assert cab.installed_on is not None and cab.installed_on.isoformat() == "2001-05-04"
    assert l1.attributes == {
        "lampTechnology": "LED",
        "powerRating": 40,
        "lanternHeight": 6,
        "contractor": "Citelum",
    }
    assert l1.links == {"refStreetlightControlCabinet": "T-C1"}
    assert (l1.zone, l1.group, l1.external_id) == ("21231", "21231-G001", "test:L1")
    assert l2.name == "Rue\nde la Liberté"
    assert (l8.status, l8.attributes["lampTechnology"]) == ("out_of_service", "HPS")

    again = run_asset_import(vigie, data, mapping)
    assert (again.created, again.skipped, len(again.failed)) == (0, 5, 7)
    assert _count(vigie) == 4


def test_import_geojson_features_by_index(vigie: Vigie, tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "cams.yaml",
        """\
external_id: {column: ref}
fields:
  id: {column: ref}
  type: {value: camera}
  status: {value: planned}
attributes:
  cameraType: {column: kind}
  retentionDays: {column: days}
""",
    )
    features = [
        {
            "type": "Feature",
            "properties": {"ref": "CAM-P1", "kind": "PTZ", "days": 15},
            "geometry": {"type": "Point", "coordinates": [5.0415, 47.322]},
        },
        {
            "type": "Feature",
            "properties": {"ref": "CAM-P2", "kind": "fixed", "days": 15},
            "geometry": {"type": "LineString", "coordinates": [[5.04, 47.32], [5.05, 47.33]]},
        },
        {
            "type": "Feature",
            "properties": {"ref": "CAM-P3", "kind": "fixed", "days": 60},
            "geometry": {"type": "Point", "coordinates": [5.0416, 47.3221]},
        },
    ]
    data = _write(tmp_path, "cams.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    result = run_asset_import(vigie, data, mapping)
    assert result.created == 1
    assert result.failed == [
        (1, "lat: the feature's geometry is a LineString; only Point features can be imported"),
        (2, "attributes.retentionDays: 60 d is above the maximum 30 d"),
    ]
    assert "  features[2]: attributes.retentionDays: 60 d is above the maximum 30 d" in (
        result.summary_lines()
    )
    with vigie.db.session() as s:
        cam = s.get(AssetRow, "CAM-P1")
    assert cam is not None
    assert (cam.status, cam.attributes) == ("planned", {"cameraType": "ptz", "retentionDays": 15})


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (MAPPING.replace("  name: {column: name}", "  nom: {column: name}"), 11, "unknown key 'nom'"),
        (
            MAPPING.replace("light: street_light}", "light: lamp}"),
            10,
            "'lamp' is not an asset type",
        ),
        (
            MAPPING.replace("Sodium: HPS}", "Sodium: sodium}"),
            19,
            "'sodium' is not a lampTechnology value (HPS, LPS, LED, MH, MV, INC, other)",
        ),
        (
            MAPPING.replace("  powerRating: {column: watts}", "  power: {column: watts}"),
            20,
            "'power' is not an attribute of control_cabinet, street_light",
        ),
        (
            MAPPING.replace("  contractor: {column: contractor}", "  powerRating: {column: watts}"),
            23,
            "'powerRating' is a typed attribute of street_light: map it under attributes",
        ),
        (
            MAPPING.replace("  refStreetlightControlCabinet:", "  refCabinet:"),
            25,
            "'refCabinet' is not a link of control_cabinet, street_light",
        ),
        (
            MAPPING.replace("pattern: '^([0-9.]+) m$'", "pattern: '^([0-9.]+ m$'"),
            21,
            "not a regular expression",
        ),
        (
            MAPPING.replace("{ok: in_service, broken: out_of_service}", "{ok: working}"),
            12,
            "'working' is not an asset status",
        ),
    ],
)
def test_import_mapping_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigurationError) as info:
        load_asset_mapping(path)
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == (str(path), line), str(info.value)
    assert message in problem.message


def test_import_mapping_that_does_not_fit_the_file_writes_nothing(vigie: Vigie, tmp_path: Path) -> None:
    mapping = _write(tmp_path, "m.yaml", MAPPING)
    data = _write(tmp_path, "assets.csv", HEADER.replace("watts", "power") + ROWS)
    with pytest.raises(ConfigurationError) as info:
        run_asset_import(vigie, data, mapping)
    assert "no column 'watts' in assets.csv" in str(info.value)
    assert info.value.problems[0].line == 20
    assert _count(vigie) == 0


def test_import_bundled_dc_mapping_loads() -> None:
    m = load_asset_mapping("dc_streetlights")
    assert m.types == frozenset({"street_light"})
    assert m.encoding == "utf-8-sig"
    assert (m.lat_column, m.long_column) == ("YCOORD", "XCOORD")
    with pytest.raises(ConfigurationError, match="bundled: dc_streetlights"):
        load_asset_mapping("no_such_mapping")


@pytest.mark.slow
def test_import_dc_streetlights_sample_then_reimport_creates_nothing(dc: Vigie, dc_sample: Path) -> None:
    started = time.perf_counter()
    result = run_asset_import(dc, dc_sample, "dc_streetlights")
    elapsed = time.perf_counter() - started
    print(f"\nDC import: {elapsed:.1f} s; " + "; ".join(result.summary_lines()))

    # Every light is inside the District's (hand-drawn) zone: nothing fails.
    assert result.failed == []
    assert (result.created, result.skipped) == (DC_SAMPLE_ROWS, 0)
    assert _count(dc) == DC_SAMPLE_ROWS
    assert _count(dc, AssetRow.zone == "dc", AssetRow.type == "street_light") == DC_SAMPLE_ROWS
    # Active everywhere; the three lights "Need Immediate Replacement" await maintenance.
    assert _count(dc, AssetRow.status == "in_service") == 3960
    assert _count(dc, AssetRow.status == "maintenance") == 3
    assert _count(dc, AssetRow.installed_on.is_not(None)) == 595
    with dc.db.session() as s:
        rows = list(s.scalars(select(AssetRow)))
    techs: dict[str, int] = {}
    for r in rows:
        techs[r.attributes["lampTechnology"]] = techs.get(r.attributes["lampTechnology"], 0) + 1
    assert techs == {"HPS": 3220, "LED": 592, "MH": 88, "MV": 43, "INC": 20}
    # 783 poles carry a second lamp (WATTAGE2), counted by the energy model.
    assert sum("secondLampPowerRating" in r.attributes for r in rows) == 782
    assert sum(r.attributes["powerRating"] for r in rows) == 1_133_471
    assert sum("lanternHeight" in r.attributes for r in rows) == 3949  # 14 poles "N/A"
    assert {r.attributes["ward"] for r in rows} == {2, 6}
    first = next(r for r in rows if r.id == "DC-SL-60206")
    assert (first.lat, first.long) == (38.89604969, -77.01292467)
    assert first.name == "E ST / 2ND ST"
    assert first.external_id == "ddot-streetlight:60206"
    assert first.attributes["lampTechnology"] == "HPS"
    assert first.attributes["powerRating"] == 400
    assert first.attributes["lanternHeight"] == 4.88  # 16 ft
    assert first.attributes["remoteMonitoring"] is False

    again = run_asset_import(dc, dc_sample, "dc_streetlights")
    assert (again.created, again.skipped, again.failed) == (0, DC_SAMPLE_ROWS, [])
    assert _count(dc) == DC_SAMPLE_ROWS


def test_import_dc_lights_refused_by_a_city_whose_zones_do_not_contain_them(
    vigie: Vigie, dc_sample: Path, tmp_path: Path
) -> None:
    # The Dijon profile: every DC light is outside its communes.
    lines = dc_sample.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    piece = _write(tmp_path, "dc_piece.csv", "".join(lines[:4]), bom=True)
    result = run_asset_import(vigie, piece, "dc_streetlights")
    assert result.created == 0
    assert [p for p, _ in result.failed] == [2, 3, 4]
    assert "is outside every zone of Dijon Métropole" in result.failed[0][1]


def test_import_assets_command_prints_the_summary(dc_sample: Path, tmp_path: Path, database_url: str) -> None:
    app = typer.Typer()
    app.command()(import_assets)
    lines = dc_sample.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    piece = _write(tmp_path, "dc_piece.csv", "".join(lines[:51]), bom=True)
    env = {
        "VIGIE_DATABASE_URL": database_url,
        "VIGIE_DATA_DIR": str(tmp_path / "var"),
        "VIGIE_CITY": "washingtondc",
        "VIGIE_ENVIRONMENT": "test",
    }
    runner = CliRunner()
    first = runner.invoke(app, [str(piece), "--mapping", "dc_streetlights"], env=env)
    assert first.exit_code == 0, first.output
    out = " ".join(first.stdout.split())
    assert "50 records read" in out
    assert "created: 50" in out
    again = runner.invoke(app, [str(piece), "--mapping", "dc_streetlights"], env=env)
    assert "skipped (already imported): 50" in " ".join(again.stdout.split())
    bad = runner.invoke(app, [str(piece), "--mapping", "nope"], env=env)
    assert bad.exit_code == 1
    assert "invalid mapping" in bad.output
