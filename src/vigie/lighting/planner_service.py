"""The retrofit plan as a use case: the city's fleet, the plan, its financing, its exports.

The web API, the pages and ``vigie lighting plan`` all call :func:`plan_city`;
the plan is computed, never stored (it is as fresh as the registry).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from vigie import csvsafe
from vigie.accounts.permissions import require
from vigie.errors import ValidationFailed
from vigie.lighting import domain
from vigie.lighting.finance import Finance, FinanceOptions, finance
from vigie.lighting.planner import FleetArrays, Plan, PlanOptions, make_plan
from vigie.lighting.planner_fleet import CostModel, PointTable, fleet_arrays, points_of_fleet
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
    target: CityTarget | None = None


@dataclass(frozen=True)
class Scenario:
    """What a scenario changes besides the plan's options: the tariff, the night dimming."""

    tariff_per_kwh: float | None = None  # None: the city's
    dim_level: float | None = None  # None: each group's schedule as it is

    def check(self) -> None:
        if self.tariff_per_kwh is not None and not 0 <= self.tariff_per_kwh <= 10:
            raise ValidationFailed("tariff must be between 0 and 10 per kWh", field="tariff")
        if self.dim_level is not None and not 0 <= self.dim_level <= 1:
            raise ValidationFailed("dim_level must be between 0 and 1", field="dim_level")


def _dimmed(schedule: domain.Schedule, level: float) -> domain.Schedule:
    """The schedule with its night dimming at ``level`` (22:00-05:00 where it had none)."""
    return domain.Schedule(
        schedule.on_offset_minutes,
        schedule.off_offset_minutes,
        schedule.dim_start or "22:00",
        schedule.dim_end or "05:00",
        level,
        schedule.off_start,
        schedule.off_end,
    )


def _points_and_hours(
    v: Vigie, year: int, dim_level: float | None, today: date
) -> tuple[PointTable, np.ndarray]:
    """The energy model's fleet (:func:`vigie.lighting.fleet.load_fleet`) as the planner reads
    it: same points, schedules and hours as the lighting pages, plus each point's street and
    compliance verdict; kept while that fleet stays."""
    from vigie.lighting.actions import fleet_hours, verdicts
    from vigie.lighting.compliance import NON_COMPLIANT
    from vigie.lighting.fleet import load_fleet

    fleet = load_fleet(v)
    key = (id(fleet), year, dim_level, today)
    hit = v.caches.lighting_points
    if hit is not None and hit[0] == key:
        return hit[1], hit[2]  # type: ignore[return-value]
    if dim_level is None:
        hours = fleet_hours(v, fleet, year)
    else:
        schedules = [_dimmed(sch, dim_level) for sch in fleet.schedules]
        hours = domain.equivalent_hours(
            fleet.lat, fleet.long, fleet.schedule_index, schedules, year, v.city.timezone
        )
    judged = verdicts(v, fleet, today)
    points = points_of_fleet(v, fleet, [j is not None and j.status == NON_COMPLIANT for j in judged])
    v.caches.lighting_points = (key, points, hours)  # the latest only
    return points, hours


def city_fleet(
    v: Vigie, year: int, costs: CostModel, today: date | None = None, scenario: Scenario | None = None
) -> tuple[FleetArrays, PointTable]:
    scenario = scenario or Scenario()
    scenario.check()
    today = today or date.today()
    points, hours = _points_and_hours(v, year, scenario.dim_level, today)
    light = v.city.lighting
    tariff = light.tariff_per_kwh if scenario.tariff_per_kwh is None else scenario.tariff_per_kwh
    prices = domain.Prices(tariff, light.co2_kg_per_kwh, light.currency)
    return fleet_arrays(points, hours, prices, costs, today), points


@dataclass(frozen=True)
class CityTarget:
    id: str
    year: int
    reference_year: int
    reduction: float
    reference_kwh: float  # the fleet at the end of the reference year, with the plan's hours
    target_kwh: float


def city_target(v: Vigie, target_id: str, year: int) -> CityTarget:
    """One of the city's targets (city.yaml lighting.targets) in kWh a year, with ``year``'s hours."""
    from vigie.lighting.actions import energy_at
    from vigie.lighting.fleet import load_fleet

    known = {t.id: t for t in v.city.lighting.targets}
    t = known.get(target_id)
    if t is None:
        names = ", ".join(known) or "none"
        raise ValidationFailed(f"unknown target {target_id!r} (this city's: {names})", field="target")
    energy, _, _ = energy_at(v, load_fleet(v), date(t.reference_year, 12, 31), year)
    reference = float(energy.kwh.sum())
    return CityTarget(t.id, t.year, t.reference_year, t.reduction, reference, reference * (1 - t.reduction))


def target_options(v: Vigie, options: PlanOptions, target_id: str) -> tuple[PlanOptions, CityTarget]:
    """The least-cost plan's options for a city target: its kWh, up to its year."""
    target = city_target(v, target_id, options.start_year)
    years = target.year - options.start_year + 1
    if years < 1:
        raise ValidationFailed(
            f"the target's year {target.year} is before the plan's first year {options.start_year}",
            field="start_year",
        )
    return PlanOptions(
        **{**options.__dict__, "mode": "target", "target_kwh": target.target_kwh, "years": years}
    ), target


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
    scenario: Scenario | None = None,
    target: str | None = None,
    check_permission: bool = True,
) -> CityPlan:
    """The plan for the city's fleet (stats.read: supervisors and administrators); with
    ``target`` (a city target's id), the least-cost plan that reaches it by its year."""
    if check_permission:
        require(agent, PERMISSION)  # type: ignore[arg-type]
    goal = None
    if target:
        options, goal = target_options(v, options, target)
    fleet, points = city_fleet(v, options.start_year, costs or CostModel(), scenario=scenario)
    plan = make_plan(fleet, options)
    fin_opts = finance_options or FinanceOptions()
    fin_opts = FinanceOptions(**{**fin_opts.__dict__, "cee": cee_applies(v)})
    known = (points.tech != domain.TECH_INDEX["other"]) & (np.nan_to_num(points.watts) > 0)
    fin = finance(plan, fin_opts, cee_eligible=known)
    return CityPlan(plan, fin, fleet, points, v.city.lighting.currency, target=goal)


def plan_json(cp: CityPlan) -> dict[str, object]:
    """The plan as the API and the pages show it (no per-point list: see the exports)."""
    p, f = cp.plan, cp.finance
    converted = p.point_year > 0
    return {
        "mode": p.options.mode,
        "objective": p.options.objective,
        "method": p.method,
        "gap": p.gap,
        "bound": p.bound,
        "value": p.objective,
        "seconds": round(p.seconds, 3),
        "currency": cp.currency,
        "points": p.points,
        "eligible": p.eligible,
        "heritage_kept": p.excluded_heritage,
        "conversions": p.conversions,
        "investment": round(p.investment, 2),
        "fleet_kwh_now": round(p.fleet_kwh_now, 1),
        "fleet_money_now": round(p.fleet_money_now, 2),
        "deadlines": p.deadlines,
        "target": None
        if cp.target is None
        else {
            "id": cp.target.id,
            "year": cp.target.year,
            "reference_year": cp.target.reference_year,
            "reduction": cp.target.reduction,
            "reference_kwh": round(cp.target.reference_kwh, 1),
            "target_kwh": round(cp.target.target_kwh, 1),
        },
        "priorities": {name: int((cp.fleet.flag(name) & converted).sum()) for name in p.options.priorities},
        "years": [
            {
                "year": r.year,
                "conversions": r.conversions,
                "investment": round(r.cost, 2),
                "kwh_saved": round(r.kwh_saved, 1),
                "money_saved": round(r.money_saved, 2),
                "fleet_kwh": round(r.fleet_kwh, 1),
                "fleet_money": round(r.fleet_money, 2),
            }
            for r in p.years
        ],
        "finance": {
            "investment": round(f.investment, 2),
            "savings": round(f.savings, 2),
            "cee": round(f.cee, 2),
            "cee_luminaires": f.cee_luminaires,
            "npv": round(f.npv, 2),
            "payback_year": f.payback_year,
            "years": [
                {
                    "year": r.year,
                    "investment": round(r.investment, 2),
                    "savings": round(r.savings, 2),
                    "cee": round(r.cee, 2),
                    "net": round(r.net, 2),
                    "cumulative_investment": round(r.cumulative_investment, 2),
                    "cumulative_savings": round(r.cumulative_savings, 2),
                    "cumulative_net": round(r.cumulative_net, 2),
                }
                for r in f.years
            ],
        },
    }


def plan_geojson(cp: CityPlan) -> dict[str, object]:
    """The converted points with their year: the plan drawn on the map, year by year."""
    p = cp.points
    idx = np.flatnonzero((cp.plan.point_year > 0) & ~np.isnan(p.lat) & ~np.isnan(p.long))
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(p.long[i]), 6), round(float(p.lat[i]), 6)],
                },
                "properties": {"id": str(p.ids[i]), "year": int(cp.plan.point_year[i])},
            }
            for i in idx
        ],
    }


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
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(POINT_COLUMNS[_lang(lang)])
    w.writerows(point_rows(cp, lang))
    return buf.getvalue()


def plan_xlsx(cp: CityPlan, lang: str = "en") -> bytes:
    """A workbook: the years, the points, the financing (one sheet each)."""
    import xlsxwriter

    lang = _lang(lang)
    buf = io.BytesIO()
    # Text is written as text, never as a formula or a link (see vigie.csvsafe).
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
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
