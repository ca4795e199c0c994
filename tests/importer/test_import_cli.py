"""`vigie import requests` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigie.cli import app

SF_HEADER = (
    "CaseID,Opened,Closed,Updated,Status,Status.Notes,Responsible.Agency,Category,"
    "Request.Type,Request.Details,Address,Supervisor.District,Neighborhood,Point,Source,"
    "Media.URL,Lat,Long\n"
)
SF_ROWS = (
    "1757188,2012-12-04 15:21:00,2012-12-06 04:39:00,12/06/2012 04:39:00 AM,Closed,NA,"
    "DPW BSM Queue,Street Defects,Utility_Excavation,Utility_Excavation,"
    '"2820 GREENWICH ST, SAN FRANCISCO, CA, 94123",2,Marina,"(37.797838468, -122.446243791)",'
    "Voice In,NA,37.797838468,-122.446243791\n"
    "5000001,2015-06-01 09:00:00,NA,06/01/2015 09:00:00 AM,Open,accepted,DPW Ops Queue,"
    'Street and Sidewalk Cleaning,Bulky Items,"Couch,\nand a mattress",'
    '"Valencia St, SAN FRANCISCO, CA",9,Mission,"(37.7599, -122.4214)",Open311,NA,'
    "37.7599,-122.4214\n"
    "5000002,2015-06-01 09:30:00,NA,06/01/2015 09:30:00 AM,Open,NA,DPW Ops Queue,"
    "Streetlights,Streetlight - Light_Burnt_Out,NA,Oakland,NA,NA,NA,Voice In,NA,37.8044,-122.2712\n"
)


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    # database_url is a database already migrated with vigie.migrate.upgrade.
    return {
        "VIGIE_DATABASE_URL": database_url,
        "VIGIE_DATA_DIR": str(tmp_path / "var"),
        "VIGIE_CITY": "sanfrancisco",
        "VIGIE_ENVIRONMENT": "test",
    }


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines at the console width


def test_cli_import_requests_loads_then_skips(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "sf311.csv"
    data.write_text(SF_HEADER + SF_ROWS, encoding="utf-8")
    runner = CliRunner()

    first = runner.invoke(app, ["import", "requests", str(data), "--mapping", "sf311"], env=cli_env)
    assert first.exit_code == 0, first.output
    out = _flat(first.stdout)
    assert "3 records read" in out
    assert "created: 2" in out
    assert "failed: 1" in out
    # The second record spans lines 3-4; the Oakland one starts on line 5.
    assert "line 5: location: this location is outside San Francisco" in out

    again = runner.invoke(app, ["import", "requests", str(data), "--mapping", "sf311"], env=cli_env)
    assert again.exit_code == 0, again.output
    out = _flat(again.stdout)
    assert "created: 0" in out
    assert "skipped (already imported): 2" in out


def test_cli_import_requests_bad_mapping_exits_with_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "sf311.csv"
    data.write_text(SF_HEADER + SF_ROWS, encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "requests", str(data), "--mapping", "nosuch"], env=cli_env)
    assert result.exit_code == 1
    assert "no such mapping file or bundled mapping (bundled: sf311)" in _flat(result.output)


def test_cli_import_requests_only_failures_exits_with_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "sf311.csv"
    data.write_text(SF_HEADER + SF_ROWS.splitlines(keepends=True)[-1], encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "requests", str(data), "--mapping", "sf311"], env=cli_env)
    assert result.exit_code == 1
    assert "line 2: location: this location is outside San Francisco" in _flat(result.stdout)


def test_cli_import_requests_check_lists_every_refusal(cli_env: dict[str, str], tmp_path: Path) -> None:
    # --check is run to learn what to fix: every refused record is listed, not the first 20.
    oakland = SF_ROWS.splitlines(keepends=True)[-1]
    rows = "".join(oakland.replace("5000002", str(6000000 + i), 1) for i in range(25))
    data = tmp_path / "sf311.csv"
    data.write_text(SF_HEADER + rows, encoding="utf-8")
    args = ["import", "requests", str(data), "--mapping", "sf311"]
    checked = _flat(CliRunner().invoke(app, [*args, "--check"], env=cli_env).stdout)
    assert "failed: 25" in checked and "more failures" not in checked
    assert all(f"line {n}: location: this location is outside" in checked for n in range(2, 27))
    imported = _flat(CliRunner().invoke(app, args, env=cli_env).stdout)
    assert "line 21: location" in imported and "line 22: location" not in imported
    assert "… and 5 more failures (run with --check to list them all)" in imported
