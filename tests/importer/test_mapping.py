"""Mapping files: validation with file:line errors, value maps, locations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from vigie.errors import ConfigurationError
from vigie.importer.mapping import RowError, bundled_mappings, load_mapping, lookup, parse_point
from vigie.importer.run import run_import
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie


def _problems(exc: pytest.ExceptionInfo[ConfigurationError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def _write(tmp_path: Path, text: str, name: str = "mapping.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_schema_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "external_id: {column: id}\n"  # 1
        "format: xls\n"  # 2
        "fields:\n"  # 3
        "  service_code: {column: category}\n"  # 4
        "  adress: {column: address}\n"  # 5
        "  status:\n"  # 6
        "    column: [status]\n",  # 7
    )
    with pytest.raises(ConfigurationError) as exc:
        load_mapping(path)
    assert _problems(exc) == [
        f"{path}:2: format: 'xls' is not one of ['csv', 'geojson']",
        f"{path}:5: fields.adress: unknown key 'adress' (expected one of: address, closed_at, "
        "description, requested_at, service_code, status, status_notes, updated_at)",
        f"{path}:7: fields.status.column: ['status'] is not of type 'string'",
    ]


def test_mapping_value_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "external_id: {column: id}\n"  # 1
        "dates:\n"  # 2
        "  timezone: Mars/Olympus_Mons\n"  # 3
        "  formats: ['%Y-%m-%d', 'dd/mm/yyyy']\n"  # 4
        "location: {lat: y}\n"  # 5
        "fields:\n"  # 6
        "  service_code:\n"  # 7
        "    column: category\n"  # 8
        "    value_map:\n"  # 9
        "      Streetlights: streetlight\n"  # 10
        "      Potholes: pothole-repair\n"  # 11
        "  status:\n"  # 12
        "    column: status\n"  # 13
        "    value_map: {Open: opened, Closed: resolved}\n"  # 14
        "    default: closed\n"  # 15
        "  description: {column: a, value: b}\n",  # 16
    )
    with pytest.raises(ConfigurationError) as exc:
        load_mapping(path, service_codes=["streetlight", "sewer"])
    statuses = "new, acknowledged, assigned, in_progress, resolved, rejected, duplicate, reopened"
    assert _problems(exc) == [
        f"{path}:3: dates.timezone: unknown time zone 'Mars/Olympus_Mons'",
        f"{path}:4: dates.formats[1]: 'dd/mm/yyyy' is not a strptime format (e.g. %Y-%m-%d)",
        f"{path}:5: location: lat and long go together: long is missing",
        f"{path}:11: fields.service_code.value_map.Potholes: unknown service 'pothole-repair' "
        "(not in the catalogue)",
        f"{path}:14: fields.status.value_map.Open: 'opened' is not a Vigie status (expected: {statuses})",
        f"{path}:15: fields.status.default: 'closed' is not a Vigie status (expected: {statuses})",
        f"{path}:16: fields.description: give exactly one of column, columns or value (got column, value)",
    ]


def test_mapping_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "external_id: {column: id}\nfields:\n  service_code: [unclosed\n")
    with pytest.raises(ConfigurationError) as exc:
        load_mapping(path)
    (problem,) = exc.value.problems
    assert (problem.file, problem.field) == (str(path), "(syntax)")
    assert problem.line == 4


def test_mapping_unknown_name_lists_bundled_mappings() -> None:
    with pytest.raises(ConfigurationError) as exc:
        load_mapping("sf312")
    assert _problems(exc) == ["sf312: mapping: no such mapping file or bundled mapping (bundled: sf311)"]
    assert bundled_mappings() == ["sf311"]


def test_mapping_bundled_sf311_is_valid_for_the_sanfrancisco_catalogue(sf: Vigie) -> None:
    mapping = load_mapping("sf311", service_codes=sf.catalogue.services)
    assert mapping.external_id_prefix == "sf311:"
    assert mapping.fields["service_code"].default == "general-request"


def test_mapping_missing_csv_column_is_reported_before_writing(sf: Vigie, tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "external_id: {column: id}\n"  # 1
        "fields:\n"  # 2
        "  service_code: {value: streetlight}\n"  # 3
        "  address:\n"  # 4
        "    column: Adress\n"  # 5
        "  description: {columns: [text, Details]}\n",  # 6
    )
    data = _write(tmp_path, "id,Address,text\n1,Castro St,hello\n", "data.csv")
    with pytest.raises(ConfigurationError) as exc:
        run_import(sf, data, str(mapping))
    assert _problems(exc) == [
        f"{mapping}:5: fields.address.column: no column 'Adress' in data.csv",
        f"{mapping}:6: fields.description.columns[1]: no column 'Details' in data.csv "
        "(its columns: id, Address, text)",
    ]
    with sf.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 0


def test_mapping_other_csv_separator_is_named(sf: Vigie, tmp_path: Path) -> None:
    # French spreadsheets write ';': the whole first line reads as one column, so say why.
    mapping = _write(tmp_path, "external_id: {column: id}\nfields:\n  service_code: {column: type}\n")
    data = _write(tmp_path, "id;type\n1;streetlight\n", "data.csv")
    with pytest.raises(ConfigurationError) as exc:
        run_import(sf, data, str(mapping))
    assert _problems(exc)[-1] == (
        f"{mapping}:3: fields.service_code.column: no column 'type' in data.csv (its columns: id;type; "
        "the first line looks separated by ';': set csv: {delimiter: \";\"} in the mapping)"
    )


def test_mapping_wrong_encoding_is_reported_before_writing(sf: Vigie, tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "external_id: {column: id}\nfields:\n  service_code: {value: streetlight}\n"
        "  address: {column: address}\n",
    )
    data = tmp_path / "latin1.csv"
    data.write_bytes("id,address\n1,Place de la République, San Francisco\n".encode("latin-1"))
    with pytest.raises(ConfigurationError) as exc:
        run_import(sf, data, str(mapping))
    (problem,) = exc.value.problems
    assert problem.field == "csv.encoding"
    assert "is not readable as utf-8-sig" in problem.message


def test_mapping_value_map_tries_exact_key_then_prefixes() -> None:
    value_map = {"Sewer Issues": "sewer", "Sewer Issues/Water_leak": "water-leak", "A/B": "ab"}
    assert lookup(value_map, "Sewer Issues/Water_leak") == "water-leak"
    assert lookup(value_map, "Sewer Issues/Flooding") == "sewer"
    assert lookup(value_map, "A/B/C/D") == "ab"
    assert lookup(value_map, "Sewer") is None
    assert lookup({"A - B": "x"}, "A - B - C", " - ") == "x"


def test_mapping_point_column_reads_lat_long_pairs_and_wkt() -> None:
    assert parse_point("(37.797838468, -122.446243791)", "Point") == (37.797838468, -122.446243791)
    assert parse_point("37.7, -122.4", "Point") == (37.7, -122.4)
    assert parse_point("POINT (-122.4 37.7)", "Point") == (37.7, -122.4)
    with pytest.raises(RowError) as exc:
        parse_point("somewhere", "Point")
    assert (
        str(exc.value) == "lat: Point 'somewhere' is not a point: '(lat, long)', 'POINT (long lat)', "
        "a GeoJSON geometry or a {lat, long} object"
    )


def test_mapping_point_location_imports_reports(sf: Vigie, tmp_path: Path) -> None:
    mapping = _write(
        tmp_path,
        "external_id: {column: CaseID, prefix: 'p:'}\n"
        "location: {point: Point}\n"
        "fields:\n"
        "  service_code: {value: streetlight}\n"
        "  requested_at: {column: Opened}\n",
    )
    data = _write(
        tmp_path,
        "CaseID,Opened,Point\n"
        '1,2015-03-01T10:00:00Z,"(37.7793, -122.4193)"\n'
        "2,2015-03-01T10:00:00Z,nowhere\n",
        "points.csv",
    )
    result = run_import(sf, data, str(mapping))
    assert result.created == 1
    assert result.failed == [
        (
            3,
            "location: Point 'nowhere' is not a point: '(lat, long)', 'POINT (long lat)', "
            "a GeoJSON geometry or a {lat, long} object",
        )
    ]


def test_mapping_dates_are_localised_then_converted_to_utc(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "external_id: {column: id}\n"
        "dates: {formats: ['%m/%d/%Y %I:%M:%S %p'], timezone: America/Los_Angeles}\n"
        "fields:\n"
        "  service_code: {value: streetlight}\n"
        "  requested_at: {column: at}\n",
    )
    mapping = load_mapping(path)

    def at(value: str) -> datetime | None:
        return mapping.map_record({"id": "1", "at": value}.get).requested_at

    assert at("07/01/2015 01:30:00 PM") == datetime(2015, 7, 1, 20, 30, tzinfo=UTC)  # PDT
    assert at("12/01/2015 01:30:00 PM") == datetime(2015, 12, 1, 21, 30, tzinfo=UTC)  # PST
    assert at("2015-12-01T13:30:00+01:00") == datetime(2015, 12, 1, 12, 30, tzinfo=UTC)  # ISO
    with pytest.raises(RowError) as exc:
        at("12/31/9999 11:00:00 PM")  # past year 9999 once in UTC
    assert str(exc.value) == "requested_at: '12/31/9999 11:00:00 PM' is out of range"
    with pytest.raises(RowError) as exc:
        mapping.map_record({"id": "1"}.get)
    assert str(exc.value) == "requested_at: no date"


def test_mapping_split_attribute_maps_each_value(tmp_path: Path) -> None:
    # A multivaluelist held as "Gravats;Électroménager": value_map translates each part.
    path = _write(
        tmp_path,
        "external_id: {column: id}\n"
        "fields:\n"
        "  service_code: {value: depot-sauvage}\n"
        "attributes:\n"
        "  nature:\n"
        "    column: nature\n"
        "    split: ';'\n"
        "    value_map: {Gravats: gravats, Électroménager: electromenager, Déchets verts: vegetaux}\n",
    )
    mapping = load_mapping(path)

    def nature(value: str) -> object:
        return mapping.map_record({"id": "1", "nature": value}.get).attributes["nature"]

    assert nature("Gravats; Électroménager") == ["gravats", "electromenager"]
    assert nature("Déchets verts") == ["vegetaux"]
    with pytest.raises(RowError) as exc:
        nature("Gravats;Pneus")
    assert (
        str(exc.value)
        == "attribute[nature]: 'Pneus' is not in the value_map of attribute[nature] and it has no default"
    )


def test_mapping_point_objects_read_as_their_dict() -> None:
    """Two-number objects are read by one match; what they give is the object's own reading."""
    assert parse_point("{'lon': 5.04, 'lat': 47.32}", "geo") == (47.32, 5.04)
    assert parse_point("{\"lat\": 4.7e1, 'lon': -5}", "geo") == (47.0, -5.0)
    assert parse_point("{ 'x' : 5.04 ,'y':47.32 }", "geo") == (47.32, 5.04)
    # A repeated key keeps its last value, as a dict does; a third key is read too.
    assert parse_point("{'lat': 1, 'lat': 47.3, 'lon': 5.0}", "geo") == (47.3, 5.0)
    assert parse_point("{'lat': 47.3, 'lon': 5.0, 'alt': 240}", "geo") == (47.3, 5.0)
    with pytest.raises(RowError, match="has no"):
        parse_point("{'lat': 47.3, 'lat': 5.0}", "geo")
