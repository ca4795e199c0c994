"""The charter on releases: what leaves Vigie, and why a release is blocked."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests.addresses.conftest import BAN_HEADER, BAN_ROWS
from tests.opendata.helpers import METADATA, approve, committee, create
from tests.reports.helpers import DIJON, sensitive_service, submit_report
from vigie.addresses.importer import do_import_addresses
from vigie.errors import NotFound, ValidationFailed
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.charter import apply_charter
from vigie.opendata.domain import Column, ColumnKind, Dataset, Rules, metadata_from_json, rules_from_json
from vigie.opendata.queries import read_release, releases

REPORT_RULES = {
    "location": "grid",
    "location_m": 500,
    "time": {"requested_at": "month", "closed_at": "month"},
    "quasi_identifiers": ["service_code", "commune", "requested_at"],
    "k": 5,
}


def _reports_dataset(vigie, make_agent, **rules):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "signalements", source="reports", rules={**REPORT_RULES, **rules})
    approve(vigie, members, "signalements")
    return publisher


def _submit(vigie, n, **over):
    for i in range(n):
        submit_report(
            vigie,
            reporter_name="Camille Durand",
            reporter_email=f"camille{i}@example.org",
            reporter_phone="06 12 34 56 78",
            description=f"Trou signalé par Camille Durand, 06 12 34 56 78 ({i})",
            lat=DIJON["lat"] + i * 1e-4,
            long=DIJON["long"],
            **over,
        )


def test_opendata_reports_release_leaves_out_text_and_contacts_and_generalises(vigie, make_agent):
    _submit(vigie, 6)
    publisher = _reports_dataset(vigie, make_agent)

    release = do_release(vigie, publisher, "signalements")

    assert release.status == "published", release.reason
    table = read_release(vigie, "signalements")
    assert table.num_rows == 6
    assert not {"description", "address", "reporter_name", "reporter_email", "reporter_phone"} & set(
        table.column_names
    )
    # Every position snapped to the same 500 m cell's centre, never the reported one.
    assert len(set(table["lat"].to_pylist())) == 1
    assert DIJON["lat"] not in table["lat"].to_pylist()
    assert all(t.day == 1 and t.hour == 0 for t in table["requested_at"].to_pylist())
    checks = {c["check"]: c for c in release.checks}
    assert checks["personal data scan"]["ok"] and checks["k-anonymity"]["ok"]


def test_opendata_k_anonymity_blocks_a_release_and_says_why(vigie, make_agent):
    _submit(vigie, 6)
    _submit(vigie, 1, service_code="affichage-sauvage", attributes={})
    publisher = _reports_dataset(vigie, make_agent)

    release = do_release(vigie, publisher, "signalements")

    assert release.status == "blocked" and release.version is None
    assert "k-anonymity: k=5 on service_code, commune, requested_at: 1 combination(s)" in release.reason
    assert "fewer than 5 rows" in release.reason
    with pytest.raises(NotFound):
        read_release(vigie, "signalements")
    assert releases(vigie, "signalements")[0].reason == release.reason


def test_opendata_k_anonymity_may_leave_out_a_small_share_of_rows(vigie, make_agent):
    _submit(vigie, 9)
    _submit(vigie, 1, service_code="affichage-sauvage", attributes={})
    publisher = _reports_dataset(vigie, make_agent, suppress_share=0.1)

    release = do_release(vigie, publisher, "signalements")

    assert release.status == "published", release.reason
    assert set(read_release(vigie, "signalements")["service_code"].to_pylist()) == {"nid-de-poule"}


def test_opendata_reports_of_sensitive_services_are_never_released(vigie, make_agent):
    code, attrs = sensitive_service(vigie)
    _submit(vigie, 5)
    _submit(vigie, 5, service_code=code, attributes=attrs)
    publisher = _reports_dataset(vigie, make_agent)

    release = do_release(vigie, publisher, "signalements")

    assert release.status == "published", release.reason
    assert code not in read_release(vigie, "signalements")["service_code"].to_pylist()


def test_opendata_scanner_blocks_a_file_with_an_email_address(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    columns = [
        {"name": "name", "type": "string", "kind": "category"},
        {"name": "lat", "type": "float", "kind": "latitude"},
        {"name": "long", "type": "float", "kind": "longitude"},
    ]
    create(vigie, publisher, "lieux", columns=columns)
    approve(vigie, members, "lieux")
    geojson = (
        b'{"type":"FeatureCollection","features":['
        b'{"type":"Feature","properties":{"name":"Mairie"},"geometry":{"type":"Point","coordinates":[5.04,47.32]}},'
        b'{"type":"Feature","properties":{"name":"ecrire a accueil.mairie@example.fr"},'
        b'"geometry":{"type":"Point","coordinates":[5.05,47.33]}}]}'
    )
    do_upload(vigie, publisher, "lieux", geojson, "geojson")

    release = do_release(vigie, publisher, "lieux")

    assert release.status == "blocked"
    assert release.reason == (
        "personal data scan: column 'name' holds 1 value(s) that look like e-mail addresses"
    )
    assert "accueil" not in release.reason
    assert not list((vigie.settings.data_dir / "opendata" / "releases" / "lieux").glob("*.parquet"))


def test_opendata_scanner_finds_agents_names(vigie, make_agent):
    agent = make_agent("supervisor")  # named "supervisor N" by the fixture
    members = committee(vigie, make_agent)
    create(vigie, agent, "notes", columns=[{"name": "note", "type": "string", "kind": "category"}])
    approve(vigie, members, "notes")
    do_upload(vigie, agent, "notes", f"note\nvu par {agent.name.upper()}\nrien\n".encode(), "csv")

    release = do_release(vigie, agent, "notes")

    assert release.reason == (
        "personal data scan: column 'note' holds 1 value(s) that look like names of residents or agents"
    )


def _dataset(columns):
    return Dataset("t", metadata_from_json(METADATA), "upload", {}, tuple(columns), "approved", Rules(), 1)


def test_opendata_charter_suppresses_small_counts_and_checks_1000_rows_per_group():
    cols = [Column("commune", "string", ColumnKind.CATEGORY), Column("received", "int", ColumnKind.COUNT)]
    table = pa.table({"commune": ["a", "b", "c"], "received": [1, 4, 12]})

    out = apply_charter(table, _dataset(cols), Rules(min_count=5))

    assert out.table["received"].to_pylist() == [None, None, 12]
    assert not out.blocked


def test_opendata_charter_suppresses_the_measures_of_a_suppressed_count():
    """A measure of a row whose count is suppressed was computed over those few: the mean delay
    of one handled report is that report's delay (the demo's KPI dataset published it)."""
    cols = [
        Column("commune", "string", ColumnKind.CATEGORY),
        Column("handled", "int", ColumnKind.COUNT),
        Column("mean_days", "float", ColumnKind.MEASURE),
    ]
    table = pa.table({"commune": ["a", "b", "c"], "handled": [1, 0, 12], "mean_days": [3.5, None, 2.0]})

    out = apply_charter(table, _dataset(cols), Rules(min_count=5))

    assert out.table["handled"].to_pylist() == [None, 0, 12]
    assert out.table["mean_days"].to_pylist() == [None, None, 2.0]
    assert "1 measure(s) of suppressed counts left empty" in " ".join(c.detail for c in out.checks)


def test_opendata_charter_refuses_undeclared_columns():
    cols = [Column("commune", "string", ColumnKind.CATEGORY)]
    out = apply_charter(pa.table({"commune": ["a"], "secret": ["x"]}), _dataset(cols), Rules())
    assert out.blocked == "columns: column(s) not declared in the dataset: secret"


def test_opendata_charter_displacement_is_the_same_in_every_release():
    cols = [
        Column("lat", "float", ColumnKind.PERSONAL_LATITUDE),
        Column("long", "float", ColumnKind.PERSONAL_LONGITUDE),
    ]
    table = pa.table({"lat": [47.32, 47.33], "long": [5.04, 5.05]})
    rules = Rules(location="displace", location_m=100)

    a = apply_charter(table, _dataset(cols), rules, salt=7).table
    b = apply_charter(table, _dataset(cols), rules, salt=7).table

    assert a.equals(b)
    assert a["lat"].to_pylist() != table["lat"].to_pylist()
    for before, after in zip(table["lat"].to_pylist(), a["lat"].to_pylist(), strict=True):
        assert abs(before - after) * 111_320 <= 100


def test_opendata_street_rule_publishes_each_position_at_its_street(vigie, make_agent, tmp_path):
    ban = tmp_path / "adresses-21.csv"
    ban.write_text(BAN_HEADER + "\n" + "\n".join(BAN_ROWS) + "\n", encoding="utf-8")
    do_import_addresses(vigie, ban, None, "ban-21")
    m = 1 / 111_320
    # Three reports on Dijon's Rue de la Gare (nos. 1, 3, 3 bis: its point is no. 3's), two
    # in the city centre, 800 m from any street of the gazetteer.
    for lat, long in [(47.3230 + 20 * m, 5.0300), (47.3232, 5.0304), (47.3234, 5.0307)]:
        submit_report(vigie, lat=lat, long=long)
    for i in range(2):
        submit_report(vigie, lat=DIJON["lat"] + i * 1e-4, long=DIJON["long"])
    publisher = _reports_dataset(vigie, make_agent, location="street", location_m=200, quasi_identifiers=[])

    release = do_release(vigie, publisher, "signalements")

    assert release.status == "published", release.reason
    table = read_release(vigie, "signalements")
    points = sorted(zip(table["lat"].to_pylist(), table["long"].to_pylist(), strict=True))
    on_street = [p for p in points if p == (47.3232, 5.0305)]
    assert len(on_street) == 3
    # The others: the centre of their 200 m cell, never the reported position.
    rest = [p for p in points if p != (47.3232, 5.0305)]
    assert len(rest) == 2 and (DIJON["lat"], DIJON["long"]) not in rest
    cell = 200 / 111_320
    for lat, _ in rest:
        assert abs(lat - ((DIJON["lat"] // cell) + 0.5) * cell) < 1e-4
    locations = next(c for c in release.checks if c["check"] == "locations")
    assert "snapped to their street (3 row(s)); 2 with no street within 50 m" in locations["detail"]
    assert "2 of 5 position(s) had no street within 50 m" in release.note


def test_opendata_street_rule_is_a_known_location_method():
    cols = (Column("lat", "float", ColumnKind.PERSONAL_LATITUDE),)
    assert rules_from_json({"location": "street"}, cols).location == "street"
    with pytest.raises(ValidationFailed, match="rules.location must be one of grid, displace, street"):
        rules_from_json({"location": "river"}, cols)
