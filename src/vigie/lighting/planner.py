"""The retrofit planner: which light points to convert to LED, and when.

Plain domain code over arrays, one entry per light point: today's and the LED's
annual kWh and money, the conversion's cost, the flags the priorities read
(mercury vapour, end of life, non-compliant, heritage, already LED) and the
cabinet and street each point belongs to. Two modes:

- ``budget``: a budget (money) and a crew capacity (conversions) per year; the
  plan maximises the energy (or money) saved over the horizon. A point
  converted during year *t* saves half of year *t* (works are spread over the
  year) and every following year of the horizon.
- ``target``: the least-cost plan whose fleet consumes at most the target's
  annual kWh once the target year's conversions are done, within the crew
  capacity (and the budget, when one is given) of each year.

Priorities are deadlines: each priority class (mercury first, then end of
life, then non-compliant points, in the order asked) must be wholly converted
by a year, either given or the earliest the budget and crews allow when the
classes are converted in that order (:func:`earliest_deadlines`). Heritage
luminaires are never converted. With ``together``, the points of a cabinet (or
street) are converted in the same year or not at all: the group is one item.

Solving is :mod:`vigie.lighting.planner_milp` (exact, HiGHS) or
:mod:`vigie.lighting.planner_fast` (a greedy guided by Lagrangian prices, with
an upper bound from the same prices so that its optimality gap is known).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from vigie.errors import ValidationFailed

Mode = Literal["budget", "target"]
Objective = Literal["energy", "money"]
Method = Literal["auto", "exact", "fast"]
Together = Literal["cabinet", "street"]
PRIORITY_CLASSES = ("mercury", "end_of_life", "non_compliant")
DEFAULT_PRIORITIES: tuple[str, ...] = PRIORITY_CLASSES
# "auto" also runs the exact solver (for AUTO_TIME_LIMIT seconds at most) on
# problems of up to this many (item, year) pairs: proving an optimum takes HiGHS
# seconds to minutes on a city's fleet, the fast method well under a second for
# a plan within a few hundredths of a percent of it (docs/benchmarks.md).
EXACT_LIMIT = 5_000
AUTO_TIME_LIMIT = 5.0


class PlanInfeasible(ValidationFailed):
    """The constraints cannot all hold (a priority class does not fit its deadline...)."""


@dataclass(frozen=True)
class FleetArrays:
    """One entry per light point; money in the city's currency."""

    ids: np.ndarray  # str
    kwh_now: np.ndarray  # annual kWh today
    kwh_led: np.ndarray  # annual kWh once converted
    money_now: np.ndarray  # annual energy bill today
    money_led: np.ndarray
    cost: np.ndarray  # conversion cost
    mercury: np.ndarray  # bool
    end_of_life: np.ndarray
    non_compliant: np.ndarray
    heritage: np.ndarray
    led: np.ndarray  # already LED: nothing to convert
    cabinet: np.ndarray  # str, "" = none
    street: np.ndarray  # str, "" = none

    def __len__(self) -> int:
        return len(self.ids)

    def flag(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self, name), dtype=bool)


@dataclass(frozen=True)
class PlanOptions:
    mode: Mode = "budget"
    start_year: int = 2027
    years: int = 5  # budget mode: the horizon; target mode: up to the target year
    budget: float | None = None  # per year; None: no limit
    crew: int | None = None  # conversions per year; None: no limit
    objective: Objective = "energy"
    target_kwh: float | None = None  # target mode: the fleet's annual kWh to reach
    priorities: tuple[str, ...] = DEFAULT_PRIORITIES
    deadlines: dict[str, int] = field(default_factory=dict)  # class -> calendar year
    together: Together | None = None
    method: Method = "auto"
    time_limit: float = 120.0  # seconds the exact solver may use

    @property
    def year_list(self) -> list[int]:
        return list(range(self.start_year, self.start_year + self.years))


def check_options(options: PlanOptions) -> None:
    """Every bad option named, before any work."""
    if options.mode not in ("budget", "target"):
        raise ValidationFailed(f"mode must be budget or target, not {options.mode!r}", field="mode")
    if not 1 <= options.years <= 50:
        raise ValidationFailed("years must be between 1 and 50", field="years")
    if options.budget is not None and not (np.isfinite(options.budget) and options.budget >= 0):
        raise ValidationFailed("budget must be a non-negative amount", field="budget")
    if options.crew is not None and options.crew < 0:
        raise ValidationFailed("crew must be a non-negative number of conversions", field="crew")
    if options.mode == "budget" and options.budget is None and options.crew is None:
        raise ValidationFailed("the budget mode needs a budget or a crew capacity per year", field="budget")
    if options.mode == "target" and (options.target_kwh is None or options.target_kwh < 0):
        raise ValidationFailed("the target mode needs the annual kWh to reach", field="target_kwh")
    if options.objective not in ("energy", "money"):
        raise ValidationFailed("objective must be energy or money", field="objective")
    if options.method not in ("auto", "exact", "fast"):
        raise ValidationFailed("method must be auto, exact or fast", field="method")
    if options.together not in (None, "cabinet", "street"):
        raise ValidationFailed("together must be cabinet or street", field="together")
    for name in (*options.priorities, *options.deadlines):
        if name not in PRIORITY_CLASSES:
            raise ValidationFailed(
                f"unknown priority {name!r} (known: {', '.join(PRIORITY_CLASSES)})",
                field="priorities",
            )
    for name, year in options.deadlines.items():
        if not options.start_year <= year < options.start_year + options.years:
            raise ValidationFailed(
                f"the deadline of {name} ({year}) is outside the plan's years "
                f"{options.start_year}-{options.start_year + options.years - 1}",
                field="deadlines",
            )


@dataclass(frozen=True)
class Items:
    """What is decided: one point, or a whole cabinet/street converted together."""

    point_item: np.ndarray  # per point: its item, -1 = never converted
    value: np.ndarray  # annual saving the objective counts (kWh or money)
    kwh: np.ndarray  # annual kWh saved
    money: np.ndarray  # annual money saved
    cost: np.ndarray
    crew: np.ndarray  # conversions (points) it takes
    deadline: np.ndarray  # last year index allowed
    forced: np.ndarray  # bool: must be converted (a priority class)
    rank: np.ndarray  # index in options.priorities of its first class; len(priorities) = none

    def __len__(self) -> int:
        return len(self.value)


@dataclass(frozen=True)
class Problem:
    """The items and the resources of each year, in the planner's own terms."""

    items: Items
    weights: np.ndarray  # per year: how many years of saving a conversion that year counts
    budget: np.ndarray  # per year, inf = no limit
    crew: np.ndarray
    mode: Mode
    required: float  # target mode: annual value to save (kWh); 0 otherwise


@dataclass
class Solution:
    year: np.ndarray  # per item: year index, -1 = not converted
    objective: float  # budget: value over the horizon; target: cost
    bound: float  # best bound proven (upper for budget, lower for target)
    method: str

    @property
    def gap(self) -> float:
        """Relative distance to the bound: the optimum is at most this far."""
        if self.bound == self.objective:
            return 0.0
        return abs(self.bound - self.objective) / max(abs(self.bound), 1e-12)


@dataclass
class YearRow:
    year: int
    conversions: int
    cost: float
    kwh_saved: float  # annual kWh saved by that year's conversions
    money_saved: float
    fleet_kwh: float  # the fleet's annual kWh once that year's conversions are done
    fleet_money: float


@dataclass
class Plan:
    options: PlanOptions
    point_year: np.ndarray  # per point: calendar year of conversion, 0 = not converted
    years: list[YearRow]
    objective: float
    bound: float
    gap: float
    method: str
    seconds: float
    deadlines: dict[str, int]  # priority class -> calendar year it is done by
    fleet_kwh_now: float
    fleet_money_now: float
    points: int
    eligible: int
    excluded_heritage: int

    @property
    def conversions(self) -> int:
        return int((self.point_year > 0).sum())

    @property
    def investment(self) -> float:
        return float(sum(r.cost for r in self.years))


def build_items(fleet: FleetArrays, options: PlanOptions) -> Items:
    """Points (or their groups) that may be converted, with what they save and cost."""
    saving_kwh = fleet.kwh_now - fleet.kwh_led
    rank_point = np.full(len(fleet), len(options.priorities), dtype=np.int64)
    for r, name in reversed(list(enumerate(options.priorities))):
        rank_point[fleet.flag(name)] = r
    prioritised = rank_point < len(options.priorities)
    # A point that saves nothing is converted only when a priority demands it.
    eligible = ~fleet.flag("led") & ~fleet.flag("heritage") & ((saving_kwh > 0) | prioritised)
    idx = np.flatnonzero(eligible)
    labels = np.asarray(getattr(fleet, options.together), dtype=object)[idx] if options.together else None
    if labels is not None and len(idx):
        grouped = labels != ""
        uniq, inv = np.unique(labels[grouped].astype(str), return_inverse=True)
        item_of = np.empty(len(idx), dtype=np.int64)
        item_of[grouped] = inv
        item_of[~grouped] = len(uniq) + np.arange(int((~grouped).sum()))
        n = len(uniq) + int((~grouped).sum())
    else:
        item_of = np.arange(len(idx), dtype=np.int64)
        n = len(idx)
    point_item = np.full(len(fleet), -1, dtype=np.int64)
    point_item[idx] = item_of

    def total(a: np.ndarray) -> np.ndarray:
        return np.bincount(item_of, weights=np.asarray(a, dtype=float)[idx], minlength=n)

    kwh = total(saving_kwh)
    money = total(fleet.money_now - fleet.money_led)
    rank = np.full(n, len(options.priorities), dtype=np.int64)
    np.minimum.at(rank, item_of, rank_point[idx])
    return Items(
        point_item=point_item,
        value=money if options.objective == "money" else kwh,
        kwh=kwh,
        money=money,
        cost=total(fleet.cost),
        crew=np.bincount(item_of, minlength=n).astype(float),
        deadline=np.full(n, options.years - 1, dtype=np.int64),
        forced=rank < len(options.priorities),
        rank=rank,
    )


def _per_year(limit: float | None, years: int) -> np.ndarray:
    return np.full(years, np.inf if limit is None else float(limit))


def pack_in_order(cost: np.ndarray, crew: np.ndarray, budget: np.ndarray, crews: np.ndarray) -> np.ndarray:
    """Year index of each item placed in the given order, each year filled up before the next.

    Items keep their order (next fit): an item that does not fit closes the
    year. -1 for items that fit in no year.
    """
    out = np.full(len(cost), -1, dtype=np.int64)
    start = 0
    for t in range(len(budget)):
        if start >= len(cost):
            break
        c = np.cumsum(cost[start:])
        m = np.cumsum(crew[start:])
        fits = int(
            min(
                np.searchsorted(c, budget[t] * (1 + 1e-12), side="right"),
                np.searchsorted(m, crews[t] + 1e-9, side="right"),
            )
        )
        out[start : start + fits] = t
        start += fits
    return out


def earliest_deadlines(
    items: Items, options: PlanOptions, budget: np.ndarray, crews: np.ndarray
) -> np.ndarray:
    """Per priority class, the year index by which it can be wholly converted.

    The classes are converted in the order asked, cheapest per saving first
    within a class, each year filled before the next: the year the last item
    of a class is placed is its deadline, which this packing proves feasible.
    """
    forced = np.flatnonzero(items.forced)
    ratio = items.cost[forced] / np.maximum(items.value[forced], 1e-9)
    order = forced[np.lexsort((ratio, items.rank[forced]))]
    placed = pack_in_order(items.cost[order], items.crew[order], budget, crews)
    out = np.full(len(options.priorities), -1, dtype=np.int64)
    for r, name in enumerate(options.priorities):
        mine = items.rank[order] == r
        if not mine.any():
            continue
        if (placed[mine] < 0).any():
            left = int(mine.sum() - (placed[mine] >= 0).sum())
            raise PlanInfeasible(
                f"the {name.replace('_', ' ')} points cannot all be converted within "
                f"{options.years} years with this budget and crew ({left} conversions left over, "
                f"converting the priority classes in the order {', '.join(options.priorities)}): "
                "raise the budget or the crew, lengthen the plan, or drop the priority",
                field="priorities",
            )
        out[r] = int(placed[mine].max())
    return out


def build_problem(fleet: FleetArrays, options: PlanOptions) -> tuple[Problem, dict[str, int]]:
    check_options(options)
    items = build_items(fleet, options)
    budget = _per_year(options.budget, options.years)
    crews = _per_year(options.crew, options.years)
    auto = earliest_deadlines(items, options, budget, crews)
    deadlines: dict[str, int] = {}
    deadline = items.deadline.copy()
    for r, name in enumerate(options.priorities):
        mine = items.rank == r
        if not mine.any():
            continue
        d = options.deadlines[name] - options.start_year if name in options.deadlines else auto[r]
        deadline[mine] = d
        deadlines[name] = options.start_year + int(d)
    items = Items(**{**items.__dict__, "deadline": deadline})
    t = np.arange(options.years)
    if options.mode == "budget":
        weights = options.years - t - 0.5
        required = 0.0
    else:
        weights = np.ones(options.years)
        required = max(0.0, float(fleet.kwh_now.sum()) - float(options.target_kwh or 0.0))
        if required > items.kwh.sum() + 1e-6:
            raise PlanInfeasible(
                f"converting every eligible point saves {items.kwh.sum():,.0f} kWh a year, "
                f"the target needs {required:,.0f}: it cannot be reached by conversions alone",
                field="target_kwh",
            )
        # The target counts energy whatever the objective's unit.
        items = Items(**{**items.__dict__, "value": items.kwh})
    return Problem(items, weights, budget, crews, options.mode, required), deadlines


def objective_of(problem: Problem, year: np.ndarray) -> float:
    on = year >= 0
    it = problem.items
    if problem.mode == "budget":
        return float((it.value[on] * problem.weights[year[on]]).sum())
    return float(it.cost[on].sum())


def check_solution(problem: Problem, year: np.ndarray) -> list[str]:
    """What a schedule breaks (empty when it is feasible); the tests' referee too."""
    it = problem.items
    on = year >= 0
    broken = []
    for t in range(len(problem.weights)):
        sel = year == t
        if it.cost[sel].sum() > problem.budget[t] * (1 + 1e-9) + 1e-6:
            broken.append(f"budget of year {t}")
        if it.crew[sel].sum() > problem.crew[t] + 1e-9:
            broken.append(f"crew of year {t}")
    if (it.forced & ~on).any():
        broken.append("a priority item is not converted")
    if (on & (year > it.deadline)).any():
        broken.append("a conversion after its deadline")
    if problem.mode == "target" and it.value[on].sum() < problem.required * (1 - 1e-9) - 1e-6:
        broken.append("target not reached")
    return broken


def solve(problem: Problem, options: PlanOptions) -> Solution:
    """``exact``: the MILP; ``fast``: the priced greedy; ``auto``: fast, then exact when small.

    The fast plan is handed to the MILP as its first incumbent.
    """
    from vigie.lighting import planner_fast, planner_milp

    if options.method == "exact":
        return planner_milp.solve_exact(problem, time_limit=options.time_limit)
    fast = planner_fast.solve_fast(problem)
    if options.method == "fast" or len(problem.items) * len(problem.weights) > EXACT_LIMIT or fast.gap == 0:
        return fast
    exact = planner_milp.solve_exact(problem, time_limit=AUTO_TIME_LIMIT, start=fast.year)
    better = (
        exact.objective > fast.objective if problem.mode == "budget" else exact.objective < fast.objective
    )
    return exact if better or exact.gap <= fast.gap else fast


def make_plan(fleet: FleetArrays, options: PlanOptions) -> Plan:
    """The plan for a fleet: check, build, solve, and read the result per year."""
    started = time.perf_counter()
    problem, deadlines = build_problem(fleet, options)
    sol = solve(problem, options)
    it = problem.items
    point_year = np.zeros(len(fleet), dtype=np.int64)
    has = it.point_item >= 0
    item_year = sol.year[it.point_item[has]]
    point_year[np.flatnonzero(has)] = np.where(item_year >= 0, item_year + options.start_year, 0)
    rows = []
    fleet_kwh = float(fleet.kwh_now.sum())
    fleet_money = float(fleet.money_now.sum())
    for t, year in enumerate(options.year_list):
        sel = sol.year == t
        kwh, money = float(it.kwh[sel].sum()), float(it.money[sel].sum())
        fleet_kwh -= kwh
        fleet_money -= money
        rows.append(
            YearRow(
                year, int(it.crew[sel].sum()), float(it.cost[sel].sum()), kwh, money, fleet_kwh, fleet_money
            )
        )
    return Plan(
        options=options,
        point_year=point_year,
        years=rows,
        objective=sol.objective,
        bound=sol.bound,
        gap=sol.gap,
        method=sol.method,
        seconds=time.perf_counter() - started,
        deadlines=deadlines,
        fleet_kwh_now=float(fleet.kwh_now.sum()),
        fleet_money_now=float(fleet.money_now.sum()),
        points=len(fleet),
        eligible=int(has.sum()),
        excluded_heritage=int((fleet.flag("heritage") & ~fleet.flag("led")).sum()),
    )
