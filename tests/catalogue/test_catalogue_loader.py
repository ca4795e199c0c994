from pathlib import Path

import pytest

from vigie.catalogue.loader import load_catalogue, reload_catalogue
from vigie.catalogue.synthetic import SMALL_CATALOGUE as BASE
from vigie.catalogue.synthetic import build_catalogue
from vigie.city.profile import load_profile
from vigie.errors import ConfigurationError

ZONES = ["21231", "21166"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_catalogue_most_specific_rule_wins(tmp_path):
    cat = load_catalogue(write(tmp_path, BASE), ZONES)
    assert cat.resolve("nid-de-poule", "21231").id == "voirie"
    assert cat.resolve("nid-de-poule", "21166").id == "chenove"
    assert cat.resolve("nid-de-poule", "21231", {"danger": "oui"}).id == "danger"
    # A service-level conditional rule beats a zone rule of the group.
    assert cat.resolve("nid-de-poule", "21166", {"danger": "oui"}).id == "danger"
    assert cat.resolve("trottoir", "21166", {"danger": "oui"}).id == "chenove"


def test_catalogue_schema_error_names_file_line_and_field(tmp_path):
    text = BASE.replace("    sla: {hours: 48}", "    sla: {hours: -3}")
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(write(tmp_path, text), ZONES)
    problem = exc.value.problems[0]
    assert problem.field == "procedures[1].sla.hours"
    assert problem.line == text.splitlines().index("    sla: {hours: -3}") + 1
    assert str(problem).startswith(f"{tmp_path / 'catalogue.yaml'}:{problem.line}: procedures[1].sla.hours")


def test_catalogue_misspelt_key_is_named_at_its_line_with_the_keys_expected(tmp_path):
    text = BASE.replace("    sla: {hours: 48}", "    sla: {hours: 48}\n    equipe: voirie", 1)
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(write(tmp_path, text), ZONES)
    (problem,) = exc.value.problems
    assert problem.line == text.splitlines().index("    equipe: voirie") + 1
    assert problem.field == "procedures[1].equipe"
    expected = "id, match, messages, priority, sla, steps, team"
    assert problem.message == f"unknown key 'equipe' (expected one of: {expected})"


def test_catalogue_unknown_references_are_reported(tmp_path):
    text = BASE.replace("    team: chenove", "    team: inconnue").replace(
        "match: {group: voirie}", "match: {group: routes}"
    )
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(write(tmp_path, text), ZONES)
    messages = [p.message for p in exc.value.problems]
    assert "unknown team 'inconnue'" in messages
    assert "unknown group 'routes'" in messages


def test_catalogue_ambiguous_and_missing_procedures_are_refused(tmp_path):
    twice = (
        BASE
        + """  - id: voirie-bis
    match: {group: voirie}
    team: voirie
    sla: {hours: 1}
"""
    )
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(write(tmp_path, twice), ZONES)
    assert "voirie, voirie-bis match the same cases" in str(exc.value)
    uncovered = BASE.replace("match: {group: voirie}", "match: {group: voirie, zone: '21231'}")
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(write(tmp_path, uncovered), ZONES + ["21003"])
    assert "no procedure covers nid-de-poule@21003, trottoir@21003" in str(exc.value)


def test_catalogue_syntax_error_has_line(tmp_path):
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(write(tmp_path, BASE + "  - id: [unclosed\n"), ZONES)
    assert exc.value.problems[0].line is not None


def test_catalogue_dijon_default_covers_every_pair():
    city = load_profile("dijon")
    cat = load_catalogue(city.catalogue_path, city.zones.codes())
    assert len(city.zones.codes()) == 23
    assert len(cat.services) >= 60 and len(cat.groups) >= 10
    datatypes = {a.datatype.value for s in cat.services.values() for a in s.attributes}
    assert datatypes == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    for service in cat.services:
        for zone in city.zones.codes():
            assert cat.resolve(service, zone).team in cat.teams
    assert any(not s.public for s in cat.services.values())


def test_catalogue_reload_keeps_running_catalogue_on_error(vigie, tmp_path):
    before = vigie.catalogue
    with pytest.raises(ConfigurationError):
        reload_catalogue(vigie, write(tmp_path, "groups: []\n"))
    assert vigie.catalogue is before


@pytest.mark.slow
def test_catalogue_loads_5000_procedures(tmp_path):
    """Functional check of a large file; the timing lives in bench/bench_procedures.py."""
    zones = load_profile("dijon").zones.codes()
    path = write(tmp_path, build_catalogue(5000, zones))
    cat = load_catalogue(path, zones)
    assert len(cat.procedures) == 5000
    assert cat.resolve("trottoir", zones[1], {"x": "v1"}).id == "p1"


def test_catalogue_reload_endpoint_admin_only_and_keeps_running_on_error(client, auth, vigie, tmp_path):
    assert client.post("/api/v1/catalogue/reload", headers=auth("operator")).status_code == 403
    r = client.post("/api/v1/catalogue/reload", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["services"] == len(vigie.catalogue.services)
    before = vigie.catalogue
    broken = tmp_path / "catalogue.yaml"
    broken.write_text("groups: []\nservices: []\nteams: []\nprocedures: []\n", encoding="utf-8")
    vigie.city.catalogue_path = broken
    r = client.post("/api/v1/catalogue/reload", headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "file": str(broken),
        "line": 1,
        "field": "groups",
        "detail": "[] should be non-empty",
    }
    assert vigie.catalogue is before
