"""The retrofit plan as a use case: the city's fleet, the plan, its financing, its exports.

The web API, the pages and ``vigie lighting plan`` all call :func:`plan_city`;
the plan is computed, never stored (it is as fresh as the registry).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from vigie.accounts.permissions import require
from vigie.lighting import domain
from vigie.lighting.finance import Finance, FinanceOptions, finance
from vigie.lighting.planner import FleetArrays, Plan, PlanOptions, make_plan
from vigie.lighting.planner_fleet import CostModel, PointTable, fleet_arrays, read_points, schedules_of
from vigie.runtime import Vigie

PERMISSION = "stats.read"


@dataclass
class CityPlan:
    plan: Plan
    finance: Finance
    fleet: FleetArrays
    points: PointTable
    currency: str
    scenario: str = ""
    notes: list[str] = field(default_factory=list)


def city_fleet(
    v: Vigie, year: int, costs: CostModel, today: date | None = None
) -> tuple[FleetArrays, PointTable]:
    points = read_points(v)
    sched_index, schedules = schedules_of(v, points.group)
    hours = (
        domain.equivalent_hours(points.lat, points.long, sched_index, schedules, year, v.city.timezone)
        if len(points.ids)
        else np.zeros(0)
    )
    light = v.city.lighting
    prices = domain.Prices(light.tariff_per_kwh, light.co2_kg_per_kwh, light.currency)
    return fleet_arrays(points, hours, prices, costs, today or date.today()), points


def cee_applies(v: Vigie) -> bool:
    """CEE are French: only a city under the French rules earns them."""
    return v.city.lighting.compliance == "fr-2018"


def plan_city(
    v: Vigie,
    agent: object | None,
    options: PlanOptions,
    costs: CostModel | None = None,
    finance_options: FinanceOptions | None = None,
    *,
    check_permission: bool = True,
) -> CityPlan:
    """The plan for the city's fleet (stats.read: supervisors and administrators)."""
    if check_permission:
        require(agent, PERMISSION)  # type: ignore[arg-type]
    fleet, points = city_fleet(v, options.start_year, costs or CostModel())
    plan = make_plan(fleet, options)
    fin_opts = finance_options or FinanceOptions()
    fin_opts = FinanceOptions(**{**fin_opts.__dict__, "cee": cee_applies(v)})
    known = (points.tech != domain.TECH_INDEX["other"]) & (np.nan_to_num(points.watts) > 0)
    fin = finance(plan, fin_opts, cee_eligible=known)
    return CityPlan(plan, fin, fleet, points, v.city.lighting.currency)


# --- exports ------------------------------------------------------------------------------

POINT_COLUMNS = {
    "en": (
        "light point",
        "year",
        "technology",
        "lamp W",
        "kWh/year today",
        "kWh/year LED",
        "kWh/year saved",
        "money/year saved",
        "conversion cost",
        "priority",
        "cabinet",
        "street",
        "latitude",
        "longitude",
    ),
    "fr": (
        "point lumineux",
        "année",
        "technologie",
        "lampe W",
        "kWh/an actuel",
        "kWh/an LED",
        "kWh/an économisés",
        "€/an économisés",
        "coût de conversion",
        "priorité",
        "armoire",
        "rue",
        "latitude",
        "longitude",
    ),
}
YEAR_COLUMNS = {
    "en": (
        "year",
        "conversions",
        "investment",
        "kWh/year saved",
        "fleet kWh/year after",
        "fleet money/year after",
    ),
    "fr": (
        "année",
        "conversions",
        "investissement",
        "kWh/an économisés",
        "kWh/an du parc après",
        "€/an du parc après",
    ),
}
FINANCE_COLUMNS = {
    "en": (
        "year",
        "investment",
        "savings",
        "CEE",
        "net",
        "cumulative investment",
        "cumulative savings",
        "cumulative net",
    ),
    "fr": (
        "année",
        "investissement",
        "économies",
        "CEE",
        "solde",
        "investissement cumulé",
        "économies cumulées",
        "solde cumulé",
    ),
}
PRIORITY_NAMES = {
    "en": {"mercury": "mercury vapour", "end_of_life": "end of life", "non_compliant": "non-compliant"},
    "fr": {"mercury": "vapeur de mercure", "end_of_life": "fin de vie", "non_compliant": "non conforme"},
}


def _lang(lang: str) -> str:
    return lang if lang in POINT_COLUMNS else "en"


def point_rows(cp: CityPlan, lang: str) -> list[list[object]]:
    """One row per converted point, in the order of the plan's years."""
    lang = _lang(lang)
    f, p = cp.fleet, cp.points
    idx = np.flatnonzero(cp.plan.point_year > 0)
    idx = idx[np.argsort(cp.plan.point_year[idx], kind="stable")]
    names = PRIORITY_NAMES[lang]
    rows: list[list[object]] = []
    for i in idx:
        priority = next((names[n] for n in cp.plan.options.priorities if f.flag(n)[i]), "")
        rows.append(
            [
                str(f.ids[i]),
                int(cp.plan.point_year[i]),
                domain.TECHNOLOGIES[int(p.tech[i])],
                None if np.isnan(p.watts[i]) else float(p.watts[i]),
                round(float(f.kwh_now[i]), 1),
                round(float(f.kwh_led[i]), 1),
                round(float(f.kwh_now[i] - f.kwh_led[i]), 1),
                round(float(f.money_now[i] - f.money_led[i]), 2),
                round(float(f.cost[i]), 2),
                priority,
                str(f.cabinet[i]),
                str(f.street[i]),
                None if np.isnan(p.lat[i]) else round(float(p.lat[i]), 6),
                None if np.isnan(p.long[i]) else round(float(p.long[i]), 6),
            ]
        )
    return rows


def year_rows(cp: CityPlan) -> list[list[object]]:
    return [
        [
            r.year,
            r.conversions,
            round(r.cost, 2),
            round(r.kwh_saved, 1),
            round(r.fleet_kwh, 1),
            round(r.fleet_money, 2),
        ]
        for r in cp.plan.years
    ]


def finance_rows(cp: CityPlan) -> list[list[object]]:
    return [
        [
            r.year,
            round(r.investment, 2),
            round(r.savings, 2),
            round(r.cee, 2),
            round(r.net, 2),
            round(r.cumulative_investment, 2),
            round(r.cumulative_savings, 2),
            round(r.cumulative_net, 2),
        ]
        for r in cp.finance.years
    ]


def plan_csv(cp: CityPlan, lang: str = "en") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(POINT_COLUMNS[_lang(lang)])
    w.writerows(point_rows(cp, lang))
    return buf.getvalue()


def plan_xlsx(cp: CityPlan, lang: str = "en") -> bytes:
    """A workbook: the years, the points, the financing (one sheet each)."""
    import xlsxwriter

    lang = _lang(lang)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheets = (
        ("Années" if lang == "fr" else "Years", YEAR_COLUMNS[lang], year_rows(cp)),
        ("Points", POINT_COLUMNS[lang], point_rows(cp, lang)),
        ("Financement" if lang == "fr" else "Financing", FINANCE_COLUMNS[lang], finance_rows(cp)),
    )
    for name, header, rows in sheets:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, header, bold)
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, row)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(header) - 1, 16)
    book.close()
    return buf.getvalue()
