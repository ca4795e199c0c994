"""The planner on a fleet read from the registry: the LED that replaces each lamp, flags, the
plan's CSV and XLSX, and `vigie lighting plan`."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import do_create_asset
from vigie.assets.domain import AssetDraft
from vigie.cli import app
from vigie.lighting import domain
from vigie.lighting.planner import PlanOptions
from vigie.lighting.planner_fleet import CostModel, led_watts
from vigie.lighting.planner_service import city_fleet, plan_city, plan_csv, plan_xlsx
from vigie.runtime import Vigie

CENTRE = (47.3220, 5.0415)  # Dijon, place de la Libération
# (id, technology, lamp W, last lamp change, heritage)
POINTS = [
    ("SL-P1", "HPS", 100, "2024-01-01", False),
    ("SL-P2", "HPS", 150, "2016-01-01", False),  # 10 years at ~3,500 h: past 80 % of 24,000 h
    ("SL-P3", "MV", 125, "2024-01-01", False),
    ("SL-P4", "LED", 40, "2024-01-01", False),
    ("SL-P5", "MH", 70, "2026-06-01", True),  # metal halide: 12,000 h of rated life
    ("SL-P6", "HPS", 250, "2024-01-01", False),
]


@pytest.fixture
def fleet_vigie(vigie: Vigie) -> Vigie:
    do_create_asset(
        vigie,
        AssetDraft(
            id="CAB-1",
            type="control_cabinet",
            lat=CENTRE[0],
            long=CENTRE[1],
            attributes={"workingMode": "automatic"},
        ),
        SYSTEM,
    )
    for i, (id_, tech, watts, changed, heritage) in enumerate(POINTS):
        attrs = {"lampTechnology": tech, "powerRating": watts, "dateLastLampChange": changed}
        if heritage:
            attrs["heritage"] = True
        do_create_asset(
            vigie,
            AssetDraft(
                id=id_,
                type="street_light",
                name=f"Rue {'A' if i < 3 else 'B'}",
                lat=CENTRE[0] + i * 1e-4,
                long=CENTRE[1],
                attributes=attrs,
                links={"refStreetlightControlCabinet": "CAB-1"},
            ),
            SYSTEM,
        )
    return vigie


def test_led_watts_give_the_same_light_as_the_lamp() -> None:
    tech = domain.tech_codes(["HPS", "MV", "INC", "LED"])
    got = led_watts(tech, np.array([100.0, 125.0, 100.0, 40.0]))
    # lamp W x lm/W x 0.7 out of an old luminaire / 130 lm/W of an LED luminaire (10 W at least)
    assert got == pytest.approx([100 * 100 * 0.7 / 130, 125 * 50 * 0.7 / 130, 10.0, 0.0])


def test_planner_fleet_reads_the_registry(fleet_vigie: Vigie) -> None:
    fleet, points = city_fleet(fleet_vigie, 2027, CostModel(450, 4), today=date(2026, 12, 1))
    assert list(fleet.ids) == [p[0] for p in POINTS]
    hours = fleet.kwh_now[0] * 1000 / 135.0  # HPS 100 W draws 135 W with its ballast
    assert 3000 < hours < 4400
    assert fleet.kwh_led[0] == pytest.approx(100 * 100 * 0.7 / 130 * hours / 1000)
    assert fleet.cost[0] == pytest.approx(450 + 4 * 100 * 100 * 0.7 / 130)
    assert list(fleet.mercury) == [False, False, True, False, False, False]
    assert list(fleet.end_of_life) == [False, True, False, False, False, False]
    assert list(fleet.led) == [False, False, False, True, False, False]
    assert list(fleet.heritage) == [False, False, False, False, True, False]
    assert list(fleet.cabinet) == ["CAB-1"] * 6
    assert list(fleet.street) == ["Rue A"] * 3 + ["Rue B"] * 3


def test_city_plan_exports_csv_and_xlsx(fleet_vigie: Vigie) -> None:
    cp = plan_city(fleet_vigie, None, PlanOptions(start_year=2027, years=2, crew=2), check_permission=False)
    years = cp.plan.point_year
    assert years[3] == 0 and years[4] == 0  # LED, heritage
    assert years[2] == 2027 and years[1] == 2027  # mercury and end of life first
    assert years[0] == 2028 and years[5] == 2028
    rows = list(csv.reader(io.StringIO(plan_csv(cp, "fr"))))
    assert rows[0][:3] == ["point lumineux", "année", "technologie"]
    assert [r[0] for r in rows[1:]] == ["SL-P2", "SL-P3", "SL-P1", "SL-P6"]
    assert {r[9] for r in rows[1:3]} == {"vapeur de mercure", "fin de vie"}
    book = zipfile.ZipFile(io.BytesIO(plan_xlsx(cp, "en")))
    workbook = book.read("xl/workbook.xml").decode()
    assert all(f'name="{n}"' in workbook for n in ("Years", "Points", "Financing"))
    assert "SL-P6" in book.read("xl/sharedStrings.xml").decode()


def test_cli_lighting_plan_prints_the_years_and_writes_the_files(
    fleet_vigie: Vigie, vigie_settings, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIE_DATABASE_URL", vigie_settings.resolved_database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(vigie_settings.data_dir))
    monkeypatch.setenv("VIGIE_ENVIRONMENT", "test")
    out_csv, out_xlsx = tmp_path / "plan.csv", tmp_path / "plan.xlsx"
    args = ["lighting", "plan", "--budget", "2000", "--years", "3", "--start-year", "2027"]
    result = CliRunner().invoke(app, [*args, "--csv", str(out_csv), "--xlsx", str(out_xlsx)])
    assert result.exit_code == 0, result.output
    assert "2027" in result.output and "6 points, 4 convertible, 1 heritage kept" in result.output
    assert out_csv.read_text(encoding="utf-8").startswith("light point,year,")
    assert zipfile.is_zipfile(out_xlsx)
    bad = CliRunner().invoke(app, ["lighting", "plan", "--years", "3"])
    assert bad.exit_code == 2 and "needs a budget or a crew" in bad.output


def test_planner_reads_compliance_verdicts_and_converts_non_compliant_points_first(
    fleet_vigie: Vigie,
) -> None:
    # A globe sending 60 % of its light upwards: to be replaced since 1 January 2025 (French order).
    attrs = {
        "lampTechnology": "HPS",
        "powerRating": 70,
        "dateLastLampChange": "2025-06-01",
        "upwardLightRatio": 60,
    }
    do_create_asset(
        fleet_vigie,
        AssetDraft(id="SL-P7", type="street_light", lat=CENTRE[0], long=CENTRE[1] + 1e-3, attributes=attrs),
        SYSTEM,
    )
    fleet, _ = city_fleet(fleet_vigie, 2027, CostModel(), today=date(2026, 12, 1))
    assert list(fleet.non_compliant) == [False] * 6 + [True]
    options = PlanOptions(start_year=2027, years=3, crew=2, priorities=("non_compliant",))
    cp = plan_city(fleet_vigie, None, options, check_permission=False)
    assert cp.plan.deadlines == {"non_compliant": 2027}
    assert cp.plan.point_year[6] == 2027


def test_city_plan_exports_write_formula_text_as_text(fleet_vigie: Vigie) -> None:
    """A street name from an imported inventory that reads as a formula stays text (CSV injection)."""
    cp = plan_city(fleet_vigie, None, PlanOptions(start_year=2027, years=2, crew=2), check_permission=False)
    cp.fleet.street[:] = '=HYPERLINK("https://evil.example")'
    rows = list(csv.reader(io.StringIO(plan_csv(cp, "en"))))
    assert {r[11] for r in rows[1:]} == {'\'=HYPERLINK("https://evil.example")'}
    assert all(float(r[6]) == float(r[6]) for r in rows[1:])  # numbers stay bare numbers
    book = zipfile.ZipFile(io.BytesIO(plan_xlsx(cp, "en")))
    sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in s for s in sheets)
    assert "=HYPERLINK(" in book.read("xl/sharedStrings.xml").decode()
