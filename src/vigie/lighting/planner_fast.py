"""The retrofit plan for large fleets: a greedy guided by prices, with its gap proven.

1. Prices. Items are grouped in buckets of nearly equal saving, cost and crew
   (and the same deadline); the linear relaxation over the buckets, a few
   thousand columns, gives a shadow price per year for the budget and the crew
   (and one for the target).
2. Bound. Those prices, whatever their quality, give a Lagrangian bound on the
   real problem, evaluated item by item on the whole fleet: no plan can do
   better (weak duality). The gap reported is the distance to it.
3. Plan. Year after year: first the priority items that cannot wait (their
   deadline, or no room left for them later), then the items with the best
   saving per priced resource, as long as they fit; each year is filled before
   the next. In target mode items come cheapest per priced saving first until
   the target is met, then the items the target no longer needs are dropped.
"""

from __future__ import annotations

import numpy as np

from vigie.lighting.planner import PlanInfeasible, Problem, Solution, objective_of
from vigie.lighting.planner_milp import Model

BINS = 64
CHUNK = 200_000


def solve_fast(problem: Problem) -> Solution:
    it = problem.items
    if len(it) == 0:
        return Solution(np.full(0, -1, dtype=np.int64), 0.0, 0.0, "fast")
    lam, mu, alpha, rounded = bucket_relaxation(problem)
    bound = lagrangian_bound(problem, lam, mu, alpha)
    greedy = greedy_budget if problem.mode == "budget" else greedy_target
    candidates = []
    for start in (rounded, None):
        try:
            candidates.append(greedy(problem, lam, mu, alpha, start))
        except PlanInfeasible:
            if start is None and not candidates:
                raise
    values = [objective_of(problem, y) for y in candidates]
    best = int(np.argmax(values) if problem.mode == "budget" else np.argmin(values))
    year, objective = candidates[best], values[best]
    bound = max(bound, objective) if problem.mode == "budget" else min(-bound, objective)
    return Solution(year, objective, bound, "fast")


def _bins(x: np.ndarray) -> np.ndarray:
    """Bin of each value on a log scale (0 for non-positive values)."""
    pos = x > 0
    out = np.zeros(len(x), dtype=np.int64)
    if pos.any():
        lx = np.log(x[pos])
        lo, hi = lx.min(), lx.max()
        out[pos] = 1 + np.minimum(((lx - lo) / max(hi - lo, 1e-12) * BINS).astype(np.int64), BINS - 1)
    return out


def bucket_relaxation(problem: Problem) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """Prices from the relaxation over buckets, and its solution rounded down onto the items
    (the best items of a bucket in its earliest years), trimmed to each year's resources."""
    it = problem.items
    key = np.column_stack(
        [_bins(it.value), _bins(it.cost), _bins(it.crew), it.deadline, it.forced.astype(np.int64)]
    )
    _, inverse, size = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)

    def mean(a: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=a, minlength=len(size)) / size

    first = np.zeros(len(size), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    model = Model(
        problem, mean(it.value), mean(it.cost), mean(it.crew), it.deadline[first], it.forced[first], size
    )
    years = len(problem.weights)
    try:
        lam, mu, alpha, counts = model.relaxation()
    except PlanInfeasible:
        # Bucket means may make a tight instance look infeasible; zero prices
        # still give a valid (looser) bound.
        return np.zeros(years), np.zeros(years), 0.0, None
    whole = np.floor(counts + 1e-6).astype(np.int64)
    # A priority bucket is converted whole: what rounding down left goes to the
    # years with the largest fractions (they add up to it in the relaxation).
    left = np.where(it.forced[first], size - whole.sum(axis=1), 0)
    for b in np.flatnonzero(left > 0):
        top = np.argsort(-(counts[b] - whole[b]), kind="stable")[: left[b]]
        whole[b, top] += 1
    return lam, mu, alpha, _round(problem, inverse, whole)


def _round(problem: Problem, bucket: np.ndarray, counts: np.ndarray) -> np.ndarray:
    it = problem.items
    density = it.value / np.maximum(it.cost, 1e-12)
    order = np.lexsort((-density, bucket))
    sorted_bucket = bucket[order]
    first = np.searchsorted(sorted_bucket, np.arange(counts.shape[0]))
    position = np.arange(len(bucket)) - first[sorted_bucket]
    t = (position[:, None] >= np.cumsum(counts, axis=1)[sorted_bucket]).sum(axis=1)
    year = np.full(len(bucket), -1, dtype=np.int64)
    year[order] = np.where(t < counts.shape[1], t, -1)
    # Bucket means are not the items' own figures: drop what a year cannot hold,
    # the items that gain least first, those that must be converted last.
    for t in range(counts.shape[1]):
        idx = np.flatnonzero(year == t)
        over_b = it.cost[idx].sum() - problem.budget[t]
        over_c = it.crew[idx].sum() - problem.crew[t]
        if over_b <= 1e-6 and over_c <= 1e-9:
            continue
        idx = idx[np.lexsort((density[idx], it.forced[idx]))]
        drop_b = np.searchsorted(np.cumsum(it.cost[idx]), over_b - 1e-6) + 1 if over_b > 1e-6 else 0
        drop_c = np.searchsorted(np.cumsum(it.crew[idx]), over_c - 1e-9) + 1 if over_c > 1e-9 else 0
        year[idx[: max(drop_b, drop_c)]] = -1
    return year


def lagrangian_bound(problem: Problem, lam: np.ndarray, mu: np.ndarray, alpha: float) -> float:
    """Upper bound on the maximisation form (budget: value; target: minus the cost)."""
    it = problem.items
    years = len(problem.weights)
    fin_b = np.isfinite(problem.budget)
    fin_c = np.isfinite(problem.crew)
    lam = np.where(fin_b, lam, 0.0)
    mu = np.where(fin_c, mu, 0.0)
    total = float((lam[fin_b] * problem.budget[fin_b]).sum() + (mu[fin_c] * problem.crew[fin_c]).sum())
    total -= alpha * problem.required
    t = np.arange(years)
    for s in range(0, len(it), CHUNK):
        sl = slice(s, s + CHUNK)
        v, k, m = it.value[sl, None], it.cost[sl, None], it.crew[sl, None]
        if problem.mode == "budget":
            val = v * problem.weights[None, :] - lam[None, :] * k - mu[None, :] * m
        else:
            val = -k * (1 + lam[None, :]) - mu[None, :] * m + alpha * v
        val = np.where(t[None, :] <= it.deadline[sl, None], val, -np.inf)
        best = val.max(axis=1)
        best = np.where(it.forced[sl], best, np.maximum(best, 0.0))
        total += float(best.sum())
    return total


def _take(order: np.ndarray, cost: np.ndarray, crew: np.ndarray, budget: float, crews: float) -> np.ndarray:
    """Items of ``order`` (in that order) that fit the budget and crew, skipping those that do not."""
    taken = []
    rounds = 0
    while len(order) and budget > 0 and crews > 0 and rounds < 8:
        c = np.cumsum(cost[order])
        m = np.cumsum(crew[order])
        n = int(
            min(
                np.searchsorted(c, budget * (1 + 1e-12), side="right"),
                np.searchsorted(m, crews + 1e-9, side="right"),
            )
        )
        taken.append(order[:n])
        if n:
            budget -= float(c[n - 1])
            crews -= float(m[n - 1])
        rest = order[n:]
        order = rest[(cost[rest] <= budget * (1 + 1e-12)) & (crew[rest] <= crews + 1e-9)]
        rounds += 1
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.int64)


def _density(problem: Problem, idx: np.ndarray, lam: float, mu: float) -> np.ndarray:
    """Saving per priced resource; with no price (a resource to spare), per cost."""
    it = problem.items
    price = lam * it.cost[idx] + mu * it.crew[idx]
    if not (price > 0).any():
        price = it.cost[idx] + 1e-9 * it.crew[idx]
    return it.value[idx] / np.maximum(price, 1e-12)


def _must(problem: Problem, year: np.ndarray, t: int, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Priority items that must go in year ``t``: deadline reached, or no room later.

    The later years are given the priority items that gain least from coming
    early (lowest saving per priced resource); those left over go now.
    """
    it = problem.items
    waiting = np.flatnonzero(it.forced & (year < 0))
    now = waiting[it.deadline[waiting] <= t]
    later = waiting[it.deadline[waiting] > t]
    for s in range(len(problem.weights) - 1, t, -1):
        if not len(later):
            break
        pool = later[it.deadline[later] >= s]
        pool = pool[np.argsort(_density(problem, pool, lam[s], mu[s]), kind="stable")]
        placed = year == s
        room_b = float(problem.budget[s]) - float(it.cost[placed].sum())
        room_c = float(problem.crew[s]) - float(it.crew[placed].sum())
        got = _take(pool, it.cost, it.crew, room_b, room_c)
        later = np.setdiff1d(later, got, assume_unique=True)
    return np.concatenate([now, later])


def _place_must(
    problem: Problem, year: np.ndarray, t: int, lam: np.ndarray, mu: np.ndarray
) -> tuple[float, float]:
    it = problem.items
    must = _must(problem, year, t, lam, mu)
    placed = year == t
    budget = float(problem.budget[t]) - float(it.cost[must].sum()) - float(it.cost[placed].sum())
    crews = float(problem.crew[t]) - float(it.crew[must].sum()) - float(it.crew[placed].sum())
    if budget < -1e-6 * max(1.0, float(problem.budget[t])) or crews < -1e-9:
        raise PlanInfeasible(
            f"the priority points due by year {t + 1} of the plan do not fit its budget and crew",
            field="deadlines",
        )
    year[must] = t
    return budget, crews


def greedy_budget(
    problem: Problem, lam: np.ndarray, mu: np.ndarray, alpha: float = 0.0, start: np.ndarray | None = None
) -> np.ndarray:
    it = problem.items
    year = np.full(len(it), -1, dtype=np.int64) if start is None else start.copy()
    for t in range(len(problem.weights)):
        budget, crews = _place_must(problem, year, t, lam, mu)
        free = np.flatnonzero((year < 0) & (it.value > 0))
        order = free[np.argsort(-_density(problem, free, lam[t], mu[t]), kind="stable")]
        year[_take(order, it.cost, it.crew, budget, crews)] = t
    return year


def greedy_target(
    problem: Problem, lam: np.ndarray, mu: np.ndarray, alpha: float = 0.0, start: np.ndarray | None = None
) -> np.ndarray:
    it = problem.items
    year = np.full(len(it), -1, dtype=np.int64) if start is None else start.copy()
    for t in range(len(problem.weights)):
        budget, crews = _place_must(problem, year, t, lam, mu)
        missing = problem.required - float(it.value[year >= 0].sum())
        if missing <= 0:
            continue
        free = np.flatnonzero((year < 0) & (it.value > 0))
        price = it.cost[free] * (1 + lam[t]) + mu[t] * it.crew[free]
        order = free[np.argsort(-(it.value[free] / np.maximum(price, 1e-12)), kind="stable")]
        taken = _take(order, it.cost, it.crew, budget, crews)
        # Only what the target needs: the prefix of the taken items that reaches it.
        reach = np.searchsorted(np.cumsum(it.value[taken]), missing * (1 - 1e-12))
        year[taken[: reach + 1]] = t
    if float(it.value[year >= 0].sum()) < problem.required * (1 - 1e-9):
        raise PlanInfeasible(
            "the target cannot be reached by its year with this crew and budget",
            field="target_kwh",
        )
    # Drop, costliest first, the conversions the target does not need.
    slack = float(it.value[year >= 0].sum()) - problem.required
    chosen = np.flatnonzero((year >= 0) & ~it.forced)
    for j in chosen[np.argsort(-it.cost[chosen], kind="stable")]:
        if it.value[j] <= slack:
            slack -= float(it.value[j])
            year[j] = -1
    return year
