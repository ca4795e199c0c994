"""The real Paris list imports through its declarative mapping; the Dijon demo's cameras
are grouped into sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigie.errors import ConfigurationError
from vigie.videoprotection import actions
from vigie.videoprotection.importer import load_site_mapping, run_site_import

PARIS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "paris_videoprotection_cameras.csv"
needs_paris = pytest.mark.skipif(not PARIS.is_file(), reason="the shared Paris list is not here")


@needs_paris
def test_videoprotection_import_paris_list(vigie, make_agent):
    result = run_site_import(vigie, PARIS, "paris_videoprotection")
    assert result.failed == [] and result.created == 707
    again = run_site_import(vigie, PARIS, "paris_videoprotection")
    assert (again.created, again.skipped) == (0, 707)
    vo = make_agent("video_operator")
    sites = actions.list_sites(vigie, vo, q="PARIS-VP-105")
    s = next(x for x in sites if x["code"] == "PARIS-VP-1051")
    assert s["name"] == "Rue Saint-Denis, rue de Rivoli"
    assert s["address"] == "Rue Saint-Denis, rue de Rivoli, croisement, 75001"
    assert s["in_service_on"] == "2016-07-08" and (s["lat"], s["long"]) == (48.85875016, 2.34750188)
    # No authorisation data in the list: the operator completes it, the alerts say so.
    assert s["state"] == "unauthorised" and s["authorisation_number"] == ""
    # Spreadsheet day numbers are dates too; unknown dates stay empty.
    serial = next(x for x in sites if x["code"] == "PARIS-VP-10510")
    assert serial["in_service_on"] == "2012-06-08"  # 41068 in the file
    assert actions.do_check_compliance(vigie)["opened"] == 707
    assert {a["kind"] for a in actions.list_alerts(vigie, vo)} == {"authorisation_missing"}


def test_videoprotection_import_bad_mapping_names_the_line(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text(
        "external_id: {column: N}\nfields:\n  name: {column: X}\n  colour: {value: red}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigurationError) as err:
        load_site_mapping(bad)
    text = str(err.value)
    assert "code" in text and "colour" in text


def test_videoprotection_import_bad_rows_are_reported(vigie, tmp_path):
    data = tmp_path / "sites.csv"
    data.write_text(
        "Code postal;Numéro;Implantation;Précision de l’implantation;Date de mise en service;lon;lat\n"
        "75001;1;Rue A;;08/07/16;2.3;48.8\n"
        "75001;2;;;08/07/16;2.3;48.8\n"
        "75001;3;Rue C;;31/02/16;2.3;48.8\n",
        encoding="utf-8",
    )
    result = run_site_import(vigie, data, "paris_videoprotection")
    assert result.created == 1
    assert [(line, reason.split(":")[0]) for line, reason in result.failed] == [
        (3, "name"),
        (4, "in_service_on"),
    ]
