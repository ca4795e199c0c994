"""What a retrofit plan costs and brings back, year by year.

Savings of a year are the money the converted points no longer spend: the
full year for points converted before it, half a year for those converted
during it (works are spread over the year, as in the planner). The
investment is the plan's conversion cost of each year. The net present value
discounts each year's net flow to the plan's first year.

CEE (certificats d'économies d'énergie, France only) are estimated with the
standard operation sheet RES-EC-104 "Rénovation d'éclairage extérieur": a
fixed amount of kWh cumac per luminaire replaced in public lighting, provided
the new luminaire meets the sheet's criteria (luminous efficacy, upward light
ratio) and the old one is known. The planner's LED luminaires are assumed to
meet them; a converted point counts only when its current lamp technology and
power are recorded. The amount per luminaire (9,300 kWh cumac in the sheet's
version in force in 2025, revised by the order of 24 November 2025) and the
market price of certificates change: both are settings of the estimate, and
the figure is an estimate, not a claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vigie.errors import ValidationFailed
from vigie.lighting.planner import Plan

CEE_KWH_CUMAC_PER_LUMINAIRE = 9_300.0
CEE_PRICE_PER_MWH_CUMAC = 8.0  # € per MWh cumac: an order of magnitude of recent market prices


@dataclass(frozen=True)
class FinanceOptions:
    years: int = 20  # how long savings are counted (an LED luminaire's service life)
    discount_rate: float = 0.04
    cee: bool = False  # the city's rules provide CEE (France)
    cee_kwh_cumac_per_luminaire: float = CEE_KWH_CUMAC_PER_LUMINAIRE
    cee_price_per_mwh_cumac: float = CEE_PRICE_PER_MWH_CUMAC


@dataclass
class FinanceYear:
    year: int
    investment: float
    savings: float
    cee: float
    net: float
    cumulative_investment: float
    cumulative_savings: float  # savings and CEE
    cumulative_net: float


@dataclass
class Finance:
    years: list[FinanceYear]
    investment: float
    savings: float
    cee: float
    npv: float
    payback_year: int | None  # first year whose cumulative net is not negative
    cee_luminaires: int


def check_finance_options(options: FinanceOptions) -> None:
    if not 1 <= options.years <= 60:
        raise ValidationFailed("the finance horizon must be between 1 and 60 years", field="finance_years")
    if not -0.5 < options.discount_rate < 1:
        raise ValidationFailed("the discount rate must be between -0.5 and 1", field="discount_rate")
    if options.cee_kwh_cumac_per_luminaire < 0 or options.cee_price_per_mwh_cumac < 0:
        raise ValidationFailed("CEE amounts cannot be negative", field="cee_price_per_mwh_cumac")


def finance(plan: Plan, options: FinanceOptions, cee_eligible: np.ndarray | None = None) -> Finance:
    """Cash flows of ``plan`` over ``options.years`` from its first year.

    ``cee_eligible``: per point, whether its conversion may earn CEE (its
    current luminaire is known); ignored unless ``options.cee``.
    """
    check_finance_options(options)
    start = plan.options.start_year
    by_year = {r.year: r for r in plan.years}
    eligible_by_year: dict[int, int] = {}
    if options.cee and cee_eligible is not None:
        years, counts = np.unique(plan.point_year[(plan.point_year > 0) & cee_eligible], return_counts=True)
        eligible_by_year = {int(y): int(c) for y, c in zip(years, counts, strict=True)}
    per_luminaire = options.cee_kwh_cumac_per_luminaire / 1000.0 * options.cee_price_per_mwh_cumac
    rows: list[FinanceYear] = []
    running_rate = 0.0  # money saved a year by the points converted before this year
    cum_inv = cum_sav = cum_net = npv = 0.0
    payback: int | None = None
    for i in range(max(options.years, len(plan.years))):
        year = start + i
        row = by_year.get(year)
        investment = row.cost if row else 0.0
        new_rate = row.money_saved if row else 0.0
        savings = running_rate + new_rate / 2
        running_rate += new_rate
        cee = eligible_by_year.get(year, 0) * per_luminaire
        net = savings + cee - investment
        cum_inv += investment
        cum_sav += savings + cee
        cum_net += net
        npv += net / (1 + options.discount_rate) ** i
        if payback is None and cum_inv > 0 and cum_net >= 0:
            payback = year
        rows.append(FinanceYear(year, investment, savings, cee, net, cum_inv, cum_sav, cum_net))
    return Finance(
        years=rows,
        investment=cum_inv,
        savings=float(sum(r.savings for r in rows)),
        cee=float(sum(r.cee for r in rows)),
        npv=npv,
        payback_year=payback,
        cee_luminaires=int(sum(eligible_by_year.values())),
    )
