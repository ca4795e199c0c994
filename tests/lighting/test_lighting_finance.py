"""Financing of a plan: savings against investment, payback, NPV and the CEE estimate, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from vigie.errors import ValidationFailed
from vigie.lighting.finance import FinanceOptions, finance
from vigie.lighting.planner import FleetArrays, PlanOptions, make_plan


def two_points() -> FleetArrays:
    no = np.zeros(2, dtype=bool)
    return FleetArrays(
        ids=np.array(["A", "B"], dtype=object),
        kwh_now=np.array([1000.0, 900.0]),
        kwh_led=np.array([500.0, 400.0]),
        money_now=np.array([200.0, 180.0]),
        money_led=np.array([100.0, 80.0]),  # each saves 100 a year
        cost=np.array([300.0, 300.0]),
        mercury=no,
        end_of_life=no,
        non_compliant=no,
        heritage=no,
        led=no,
        cabinet=np.array(["", ""], dtype=object),
        street=np.array(["", ""], dtype=object),
    )


def test_finance_counts_half_a_year_of_savings_in_the_year_of_works_and_finds_the_payback() -> None:
    plan = make_plan(two_points(), PlanOptions(years=2, crew=1, objective="money"))
    assert [r.conversions for r in plan.years] == [1, 1]
    fin = finance(plan, FinanceOptions(years=5, discount_rate=0.0))
    # 2027: -300 + 50; 2028: -300 + 100 + 50; 2029-2031: +200 a year.
    assert [round(r.net) for r in fin.years] == [-250, -150, 200, 200, 200]
    assert [round(r.cumulative_net) for r in fin.years] == [-250, -400, -200, 0, 200]
    assert fin.payback_year == 2030
    assert fin.npv == pytest.approx(200.0)
    discounted = finance(plan, FinanceOptions(years=5, discount_rate=0.1))
    expected = sum(n / 1.1**i for i, n in enumerate([-250, -150, 200, 200, 200]))
    assert discounted.npv == pytest.approx(expected)
    assert discounted.cee == 0


def test_finance_adds_cee_for_eligible_conversions_only() -> None:
    plan = make_plan(two_points(), PlanOptions(years=2, crew=1, objective="money"))
    options = FinanceOptions(years=3, discount_rate=0.0, cee=True, cee_price_per_mwh_cumac=10.0)
    fin = finance(plan, options, cee_eligible=np.array([True, False]))
    assert fin.cee_luminaires == 1
    assert fin.cee == pytest.approx(9.3 * 10.0)  # 9,300 kWh cumac at 10 per MWh cumac
    assert finance(plan, FinanceOptions(years=3), cee_eligible=np.array([True, True])).cee == 0


def test_finance_without_payback_in_the_horizon_says_so() -> None:
    plan = make_plan(two_points(), PlanOptions(years=2, crew=1))
    assert finance(plan, FinanceOptions(years=2)).payback_year is None


def test_finance_refuses_a_bad_rate() -> None:
    plan = make_plan(two_points(), PlanOptions(years=1, crew=1))
    with pytest.raises(ValidationFailed) as err:
        finance(plan, FinanceOptions(discount_rate=3.0))
    assert err.value.field == "discount_rate"
