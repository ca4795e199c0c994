"""`vigie lighting energy` and `vigie import lamps` on a small fleet."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.lighting.helpers import add_light
from vigie.assets.lamps import lamp_history
from vigie.cli import app
from vigie.runtime import Vigie


@pytest.fixture
def env(vigie_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VIGIE_DATABASE_URL", vigie_settings.resolved_database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(vigie_settings.data_dir))
    monkeypatch.setenv("VIGIE_ENVIRONMENT", "test")


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_lighting_energy_prints_the_targets_and_json(env: None, vigie: Vigie) -> None:
    add_light(
        vigie,
        "SL-1",
        "LED",
        40,
        installed_on=date(2005, 1, 1),
        history=[(date(2005, 1, 1), "installed", "HPS", 100), (date(2020, 1, 1), "conversion", "LED", 40)],
    )
    out = run("lighting", "energy")
    assert out.exit_code == 0, out.output
    assert "light points in use 1 (LED 1)" in out.output
    assert "saved against 2017" in out.output
    data = json.loads(run("lighting", "energy", "--json").output)
    saving = data["energy"]["targets"][0]["saving"]
    assert saving == pytest.approx(1 - 40 / 135, abs=1e-4)  # LED 40 W against HPS 100 W (135 W)


def test_cli_import_lamps_check_then_load(env: None, vigie: Vigie, tmp_path: Path) -> None:
    add_light(vigie, "SL-1", "HPS", 100)
    path = tmp_path / "conversions.csv"
    path.write_text(
        "asset_id,changed_on,lampTechnology,powerRating\nSL-1,2022-05-02,LED,36\n", encoding="utf-8"
    )
    checked = run("import", "lamps", str(path), "--check")
    assert checked.exit_code == 0 and "all valid" in checked.output
    assert lamp_history(vigie, "SL-1") == []
    loaded = run("import", "lamps", str(path))
    assert loaded.exit_code == 0 and "1 lamp changes added" in loaded.output
    assert [c["lampTechnology"] for c in lamp_history(vigie, "SL-1")] == ["LED"]
    path.write_text("asset_id,changed_on,lampTechnology\nSL-2,2022-05-02,LED\n", encoding="utf-8")
    bad = run("import", "lamps", str(path))
    assert bad.exit_code == 1 and "SL-2: no such asset" in bad.output
