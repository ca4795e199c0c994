"""Commands of the lighting context: `vigie lighting energy`, `vigie lighting plan`, `vigie import lamps`.

app.add_typer(lighting_app, name="lighting")
import_app.command("lamps")(import_lamps)
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

lighting_app = typer.Typer(
    help="Public lighting: energy, targets, the LED retrofit plan.", no_args_is_help=True
)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class ModeChoice(StrEnum):
    budget = "budget"
    target = "target"


class ObjectiveChoice(StrEnum):
    energy = "energy"
    money = "money"


class MethodChoice(StrEnum):
    auto = "auto"
    exact = "exact"
    fast = "fast"


class TogetherChoice(StrEnum):
    cabinet = "cabinet"
    street = "street"


@lighting_app.command("plan")
def plan(
    budget: float | None = typer.Option(None, help="Budget per year (the city's currency)."),
    years: int = typer.Option(5, help="Years of the plan (target mode: up to the target year)."),
    crew: int | None = typer.Option(None, help="Conversions the crews can make per year."),
    mode: ModeChoice = typer.Option(
        ModeChoice.budget, help="budget: best use of the budget; target: least cost."
    ),
    objective: ObjectiveChoice = typer.Option(ObjectiveChoice.energy, help="What the budget mode maximises."),
    target_kwh: float | None = typer.Option(None, help="Target mode: the fleet's annual kWh to reach."),
    target: str | None = typer.Option(None, help="A city target's id (city.yaml): least cost to reach it."),
    start_year: int | None = typer.Option(None, help="First year of the plan (default: next year)."),
    priorities: str = typer.Option(
        "mercury,end_of_life,non_compliant", help="Priority classes in order, comma-separated ('' for none)."
    ),
    together: TogetherChoice | None = typer.Option(None, help="Convert whole cabinets or streets at once."),
    method: MethodChoice = typer.Option(MethodChoice.auto, help="exact (HiGHS MILP), fast, or auto by size."),
    cost_base: float = typer.Option(450.0, help="Conversion cost: fixed part per point."),
    cost_per_watt: float = typer.Option(4.0, help="Conversion cost: per watt of the LED luminaire."),
    csv_file: Path | None = typer.Option(None, "--csv", help="Write the converted points as CSV."),
    xlsx_file: Path | None = typer.Option(None, "--xlsx", help="Write the plan as an XLSX workbook."),
    lang: str = typer.Option("en", help="Language of the exported column names (fr or en)."),
) -> None:
    """The LED retrofit plan of the city's street lights: what to convert each year."""
    from vigie.cli import _vigie
    from vigie.errors import VigieError
    from vigie.lighting.planner import PlanOptions
    from vigie.lighting.planner_fleet import CostModel
    from vigie.lighting.planner_service import plan_city, plan_csv, plan_xlsx

    options = PlanOptions(
        mode=mode.value,  # type: ignore[arg-type]
        start_year=start_year or date.today().year + 1,
        years=years,
        budget=budget,
        crew=crew,
        objective=objective.value,  # type: ignore[arg-type]
        target_kwh=target_kwh,
        priorities=tuple(p.strip() for p in priorities.split(",") if p.strip()),
        together=together.value if together else None,  # type: ignore[arg-type]
        method=method.value,  # type: ignore[arg-type]
    )
    v = _vigie()
    try:
        with err.status("Planning: reading the fleet, its energy, then solving…"):
            costs = CostModel(cost_base, cost_per_watt)
            cp = plan_city(v, None, options, costs, target=target, check_permission=False)
    except VigieError as exc:
        err.print(f"[red]error:[/red] {exc.message}", highlight=False, markup=True)
        raise typer.Exit(2) from None
    finally:
        v.db.dispose()
    p, cur = cp.plan, cp.currency
    if cp.target:
        t = cp.target
        out.print(
            f"Target {t.id}: -{t.reduction:.0%} by {t.year} against {t.reference_year} "
            f"({t.reference_kwh:,.0f} kWh/year): at most {t.target_kwh:,.0f} kWh/year",
            highlight=False,
        )
    table = Table(title=f"LED plan ({p.method}, gap {p.gap:.4%}, {p.seconds:.2f} s)")
    for col in ("year", "conversions", f"investment ({cur})", "kWh/year saved", "fleet kWh/year after"):
        table.add_column(col, justify="right")
    for r in p.years:
        table.add_row(
            str(r.year), f"{r.conversions:,}", f"{r.cost:,.0f}", f"{r.kwh_saved:,.0f}", f"{r.fleet_kwh:,.0f}"
        )
    out.print(table)
    f = cp.finance
    out.print(
        f"{p.points:,} points, {p.eligible:,} convertible, {p.excluded_heritage:,} heritage kept; "
        f"fleet today {p.fleet_kwh_now:,.0f} kWh/year. "
        + (
            "Deadlines: " + ", ".join(f"{k} by {y}" for k, y in p.deadlines.items()) + ". "
            if p.deadlines
            else ""
        )
        + f"Investment {f.investment:,.0f} {cur}, NPV {f.npv:,.0f} {cur}, payback "
        + (str(f.payback_year) if f.payback_year else "beyond the horizon")
        + (
            f", CEE estimate {f.cee:,.0f} {cur} ({f.cee_luminaires:,} luminaires)" if f.cee_luminaires else ""
        ),
        highlight=False,
    )
    if csv_file:
        csv_file.write_text(plan_csv(cp, lang), encoding="utf-8")
        out.print(f"CSV written to {csv_file}", highlight=False)
    if xlsx_file:
        xlsx_file.write_bytes(plan_xlsx(cp, lang))
        out.print(f"XLSX written to {xlsx_file}", highlight=False)


def _kwh(x: float | None) -> str:
    return "—" if x is None else f"{x / 1000:,.0f} MWh"


@lighting_app.command("energy")
def energy(
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    zones: bool = typer.Option(False, "--zones", help="Also list every zone (commune)."),
) -> None:
    """The fleet's yearly energy, money and CO2 today, against the city's targets."""
    from vigie.cli import _vigie
    from vigie.lighting.actions import compliance_report, energy_report

    v = _vigie()
    try:
        report = energy_report(v)
        comp = compliance_report(v)
    finally:
        v.db.dispose()
    if as_json:
        out.print_json(json.dumps({"energy": report, "compliance": comp}, ensure_ascii=False))
        return
    cur = report["currency"]
    out.print(
        f"{v.city.name}: light points in use {report['points']:,} (LED {report['led']:,}); "
        f"{_kwh(report['kwh'])}, {report['cost']:,} {cur}, {report['co2_kg'] / 1000:,.0f} t CO2e a year "
        f"(model year {report['model_year']}, {report['tariff_per_kwh']} {cur}/kWh)",
        highlight=False,
    )
    for t in report["targets"]:
        saved = t["saving"]
        out.print(
            f"- {t['label'].get('en') or t['id']}: {saved * 100:.1f} % saved against {t['reference_year']} "
            f"({_kwh(t['reference_kwh'])}), aiming at {_kwh(t['target_kwh'])} in {t['year']}: "
            + ("reached" if t["reached"] else f"{_kwh(t['remaining_kwh'])} still to save")
            if saved is not None
            else f"- {t['id']}: no fleet known for {t['reference_year']}",
            highlight=False,
        )
    table = Table("year", "points", "LED", "LED share", "energy", f"cost ({cur})")
    for y in report["trajectory"]:
        share = y["led_share"]
        table.add_row(
            str(y["year"]),
            f"{y['points']:,}",
            f"{y['led']:,}",
            "—" if share is None else f"{share * 100:.0f} %",
            _kwh(y["kwh"]),
            f"{y['cost']:,}",
        )
    out.print(table)
    if comp["rule_set"] != "none":
        c = comp["counts"]
        out.print(
            f"Compliance ({comp['rule_set']}): {c['compliant']:,} compliant, {c['non_compliant']:,} "
            f"non-compliant, {c['unknown']:,} unknown",
            highlight=False,
        )
        for r in comp["rules"]:
            if r["points"]:
                out.print(f"  {r['points']:>6,}  {r['text']['en']}", highlight=False)
    if zones:
        zt = Table("zone", "points", "LED", "energy", "saving")
        for z in report["zones"]:
            zt.add_row(z["name"], f"{z['points']:,}", f"{z['led']:,}", _kwh(z["kwh"]), _saving(z))
        out.print(zt)


def _saving(row: dict[str, Any]) -> str:
    s = row.get("saving")
    return "—" if s is None else f"{s * 100:.1f} %"


def import_lamps(
    file: Path = typer.Argument(
        ..., help="CSV file: asset_id, changed_on, kind, lampTechnology, powerRating…"
    ),
    check: bool = typer.Option(False, "--check", help="Check every line, write nothing."),
) -> None:
    """Import a city's past lamp changes (installations, LED conversions) into the registry."""
    from vigie.assets.lamps import import_lamp_changes
    from vigie.cli import _vigie
    from vigie.errors import VigieError

    v = _vigie()
    try:
        result = import_lamp_changes(v, None, file, check_only=check)
    except VigieError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    finally:
        v.db.dispose()
    for p in result.problems:
        err.print(p, highlight=False, markup=False)
    if result.problems:
        err.print(f"[red]nothing imported[/red]: {len(result.problems)} problem(s) in {result.lines} lines")
        raise typer.Exit(1)
    if check:
        out.print(f"{file.name}: {result.lines} lines, all valid (nothing written)", highlight=False)
        return
    out.print(
        f"{file.name}: {result.added} lamp changes added, {result.skipped} already known, "
        f"{result.updated_points} light points now show their latest change",
        highlight=False,
    )


__all__ = ["import_lamps", "lighting_app"]
