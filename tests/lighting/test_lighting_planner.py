"""The retrofit planner against brute force on small fleets, and its constraints one by one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vigie.errors import ValidationFailed
from vigie.lighting.planner import (
    FleetArrays,
    PlanInfeasible,
    PlanOptions,
    build_problem,
    check_solution,
    make_plan,
    objective_of,
)


def small_fleet(n: int, seed: int, **flags: np.ndarray) -> FleetArrays:
    rng = np.random.default_rng(seed)
    now = rng.choice([300.0, 450.0, 620.0, 900.0], n) + rng.integers(0, 50, n)
    led = now * rng.choice([0.35, 0.45, 0.6], n)
    cost = rng.choice([400.0, 550.0, 700.0, 950.0], n)
    empty = np.zeros(n, dtype=bool)
    arrays = dict(
        mercury=empty,
        end_of_life=empty,
        non_compliant=empty,
        heritage=empty,
        led=empty,
        cabinet=np.array([f"C{i // 3}" for i in range(n)], dtype=object),
        street=np.array([f"S{i // 2}" for i in range(n)], dtype=object),
    )
    arrays.update(flags)
    return FleetArrays(
        ids=np.array([f"P{i}" for i in range(n)], dtype=object),
        kwh_now=now,
        kwh_led=led,
        money_now=now * 0.2,
        money_led=led * 0.2,
        cost=cost,
        **arrays,
    )


def brute_force(fleet: FleetArrays, options: PlanOptions) -> float:
    """The best objective over every assignment of items to a year or to none."""
    problem, _ = build_problem(fleet, options)
    n, years = len(problem.items), len(problem.weights)
    best = None
    for choice in itertools.product(range(-1, years), repeat=n):
        year = np.array(choice, dtype=np.int64)
        if check_solution(problem, year):
            continue
        value = objective_of(problem, year)
        if best is None or (value > best if options.mode == "budget" else value < best):
            best = value
    assert best is not None, "no feasible plan"
    return best


CASES = [
    dict(mode="budget", years=2, budget=1500.0, crew=3),
    dict(mode="budget", years=3, budget=1200.0, crew=None),
    dict(mode="budget", years=2, budget=None, crew=2, objective="money"),
    dict(mode="budget", years=2, budget=2000.0, crew=4, together="cabinet"),
    dict(mode="target", years=2, budget=None, crew=3),
    dict(mode="target", years=2, budget=1800.0, crew=3),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_planner_matches_brute_force_on_small_fleets(case: dict, seed: int) -> None:
    fleet = small_fleet(7, seed)
    target = float(fleet.kwh_now.sum() * 0.7)
    options = PlanOptions(**case, target_kwh=target if case["mode"] == "target" else None)
    best = brute_force(fleet, options)
    exact = make_plan(fleet, PlanOptions(**{**options.__dict__, "method": "exact"}))
    fast = make_plan(fleet, PlanOptions(**{**options.__dict__, "method": "fast"}))
    assert exact.objective == pytest.approx(best, rel=1e-6)
    problem, _ = build_problem(fleet, options)
    for plan in (exact, fast):
        item_year = np.full(len(problem.items), -1)
        on = plan.point_year > 0
        item_year[problem.items.point_item[on]] = plan.point_year[on] - options.start_year
        assert check_solution(problem, item_year) == []
    # The fast plan is never better than the optimum, its bound never worse.
    if options.mode == "budget":
        assert fast.objective <= best + 1e-6
        assert fast.bound >= best - 1e-6
    else:
        assert fast.objective >= best - 1e-6
        assert fast.bound <= best + 1e-6
    assert fast.gap == pytest.approx(abs(fast.bound - fast.objective) / abs(fast.bound))


def test_planner_converts_mercury_first_and_skips_heritage_and_led() -> None:
    n = 8
    mercury = np.zeros(n, dtype=bool)
    mercury[[5, 6]] = True  # saves the least: only the priority brings them in
    heritage = np.zeros(n, dtype=bool)
    heritage[0] = True
    led = np.zeros(n, dtype=bool)
    led[1] = True
    fleet = small_fleet(n, 4, mercury=mercury, heritage=heritage, led=led)
    fleet.kwh_led[[5, 6]] = fleet.kwh_now[[5, 6]] * 0.95
    options = PlanOptions(mode="budget", years=3, budget=None, crew=2)
    for method in ("exact", "fast"):
        plan = make_plan(fleet, PlanOptions(**{**options.__dict__, "method": method}))
        assert plan.deadlines == {"mercury": 2027}
        assert list(plan.point_year[[5, 6]]) == [2027, 2027]
        assert plan.point_year[0] == 0 and plan.point_year[1] == 0
        assert plan.excluded_heritage == 1


def test_planner_converts_a_cabinet_in_one_year_when_asked() -> None:
    fleet = small_fleet(9, 5)
    options = PlanOptions(mode="budget", years=3, budget=2500.0, crew=None, together="cabinet")
    for method in ("exact", "fast"):
        plan = make_plan(fleet, PlanOptions(**{**options.__dict__, "method": method}))
        for cabinet in set(fleet.cabinet):
            years = set(plan.point_year[fleet.cabinet == cabinet])
            assert len(years) == 1, (method, cabinet, years)


def test_planner_target_mode_reaches_the_target_at_least_cost() -> None:
    fleet = small_fleet(7, 6)
    target = float(fleet.kwh_now.sum() * 0.6)
    plan = make_plan(fleet, PlanOptions(mode="target", years=2, crew=4, target_kwh=target))
    assert plan.years[-1].fleet_kwh <= target + 1e-6
    assert plan.investment == pytest.approx(plan.objective)


def test_planner_names_a_priority_that_cannot_fit() -> None:
    mercury = np.ones(6, dtype=bool)
    fleet = small_fleet(6, 7, mercury=mercury)
    with pytest.raises(PlanInfeasible, match="mercury points cannot all be converted"):
        make_plan(fleet, PlanOptions(mode="budget", years=2, budget=None, crew=2))


def test_planner_names_an_unreachable_target() -> None:
    fleet = small_fleet(5, 8)
    with pytest.raises(PlanInfeasible, match="cannot be reached"):
        make_plan(fleet, PlanOptions(mode="target", years=2, crew=5, target_kwh=1.0))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (PlanOptions(years=0, crew=1), "years"),
        (PlanOptions(budget=-1.0), "budget"),
        (PlanOptions(budget=None, crew=None), "budget"),
        (PlanOptions(mode="target"), "target_kwh"),
        (PlanOptions(crew=1, priorities=("gold",)), "priorities"),
        (PlanOptions(crew=1, deadlines={"mercury": 2040}), "deadlines"),
    ],
)
def test_planner_refuses_bad_options_by_name(options: PlanOptions, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        make_plan(small_fleet(3, 1), options)
    assert err.value.field == field
