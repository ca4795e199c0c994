from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from vigie.cli import app
from vigie.runtime import Vigie
from vigie.settings import Settings


@pytest.fixture
def env(vigie_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_DATABASE_URL", vigie_settings.resolved_database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(vigie_settings.data_dir))
    monkeypatch.setenv("VIGIE_ENVIRONMENT", "test")


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_import_addresses_then_export_for_addok(
    env: None, vigie: Vigie, ban_file: Path, tmp_path: Path
) -> None:
    result = run("import", "addresses", str(ban_file), "--source", "ban-21")
    assert result.exit_code == 0, result.output
    assert "addresses: 8" in result.output and "streets and places: 3" in result.output
    out = tmp_path / "addok.ndjson"
    result = run("addresses", "export-addok", str(out))
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    gare = next(d for d in docs if d["id"] == "21231_1000")
    assert gare["name"] == "Rue de la Gare" and set(gare["housenumbers"]) == {"1", "3", "3 bis"}
    assert gare["housenumbers"]["3 bis"]["id"] == "21231_1000_00003_bis"


def test_cli_import_addresses_refusal_is_an_error_message(env: None, vigie: Vigie, tmp_path: Path) -> None:
    bad = tmp_path / "other.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    result = run("import", "addresses", str(bad))
    assert result.exit_code == 1
    assert "not a BAN addresses CSV" in result.output
