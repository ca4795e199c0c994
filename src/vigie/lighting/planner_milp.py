"""The retrofit plan solved exactly: a mixed-integer programme handed to HiGHS.

Items that the problem cannot tell apart (same saving counted, cost, crew,
deadline and priority) are interchangeable, so the model counts how many of
each such class are converted each year (an integer between 0 and the class's
size) instead of one binary per item and year: the same optimum, with far
fewer variables on a real fleet, where lamps come in a few dozen kinds.

    budget mode   max  sum_ct value_c * weight_t * y_ct
    target mode   min  sum_ct cost_c * y_ct
    subject to    sum_t y_ct <= n_c            (= n_c for a priority class)
                  sum_c cost_c * y_ct <= budget_t, sum_c crew_c * y_ct <= crew_t
                  sum_ct value_c * y_ct >= required        (target mode)
                  y_ct = 0 after the class's deadline
"""

from __future__ import annotations

import highspy
import numpy as np

from vigie.lighting.planner import PlanInfeasible, Problem, Solution, objective_of

MIP_REL_GAP = 1e-6  # proven optimal within a millionth


def classes(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(representative item per class, class of each item, size of each class)."""
    it = problem.items
    key = np.column_stack([it.value, it.cost, it.crew, it.deadline, it.forced])
    _, first, inverse, counts = np.unique(
        key, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    return first, inverse.reshape(-1), counts


def solve_exact(
    problem: Problem,
    *,
    time_limit: float = 120.0,
    start: np.ndarray | None = None,
    mip_gap: float = MIP_REL_GAP,
) -> Solution:
    """The optimum, proven within ``mip_gap`` (or the best found in ``time_limit``, with its gap)."""
    it = problem.items
    years = len(problem.weights)
    if len(it) == 0:
        return Solution(np.full(0, -1, dtype=np.int64), 0.0, 0.0, "exact")
    rep, cls, size = classes(problem)
    model = Model(problem, it.value[rep], it.cost[rep], it.crew[rep], it.deadline[rep], it.forced[rep], size)
    initial = None
    if start is not None:
        on = start >= 0
        counts0 = np.zeros((len(rep), years))
        np.add.at(counts0, (cls[on], start[on]), 1)
        initial = counts0[model.col_cls, model.col_t]
    h = model.run(integer=True, time_limit=time_limit, start=initial, mip_gap=mip_gap)
    info = h.getInfo()
    if info.primal_solution_status != 2:  # no feasible point found in the time allowed
        raise PlanInfeasible(
            f"the exact solver found no plan in {time_limit:.0f} s: use the fast method",
            field="method",
        )
    y = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
    counts = np.zeros((len(rep), years), dtype=np.int64)
    counts[model.col_cls, model.col_t] = y
    year = _spread(cls, counts)
    objective = objective_of(problem, year)
    bound = float(info.mip_dual_bound)
    bound = max(bound, objective) if problem.mode == "budget" else min(bound, objective)
    return Solution(year, objective, bound, "exact")


class Model:
    """The programme over classes of items (or, relaxed, over buckets of similar items)."""

    def __init__(
        self,
        problem: Problem,
        value: np.ndarray,
        cost: np.ndarray,
        crew: np.ndarray,
        deadline: np.ndarray,
        forced: np.ndarray,
        size: np.ndarray,
    ) -> None:
        years = len(problem.weights)
        n_cls = len(value)
        # Columns y_ct for t = 0..deadline_c, class by class.
        per = deadline + 1
        col_cls = np.repeat(np.arange(n_cls), per)
        col_t = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
        n_col = len(col_cls)
        budget_years = np.flatnonzero(np.isfinite(problem.budget))
        crew_years = np.flatnonzero(np.isfinite(problem.crew))
        row_of_budget = np.full(years, -1)
        row_of_budget[budget_years] = n_cls + np.arange(len(budget_years))
        row_of_crew = np.full(years, -1)
        row_of_crew[crew_years] = n_cls + len(budget_years) + np.arange(len(crew_years))
        cover_row = n_cls + len(budget_years) + len(crew_years)
        n_row = cover_row + (1 if problem.mode == "target" else 0)

        # Column-wise matrix: assignment row, then budget, crew and cover rows where they exist.
        rb = row_of_budget[col_t]
        rc = row_of_crew[col_t]
        rows = [col_cls, rb[rb >= 0], rc[rc >= 0]]
        vals = [np.ones(n_col), cost[col_cls][rb >= 0], crew[col_cls][rc >= 0]]
        cols = [np.arange(n_col), np.flatnonzero(rb >= 0), np.flatnonzero(rc >= 0)]
        if problem.mode == "target":
            rows.append(np.full(n_col, cover_row))
            vals.append(value[col_cls])
            cols.append(np.arange(n_col))
        r, v, c = np.concatenate(rows), np.concatenate(vals), np.concatenate(cols)
        order = np.lexsort((r, c))
        r, v, c = r[order], v[order], c[order]

        inf = highspy.kHighsInf
        row_lower = np.full(n_row, -inf)
        row_upper = np.full(n_row, inf)
        row_upper[:n_cls] = size
        row_lower[:n_cls] = np.where(forced, size, -inf)
        row_upper[row_of_budget[budget_years]] = problem.budget[budget_years]
        row_upper[row_of_crew[crew_years]] = problem.crew[crew_years]
        if problem.mode == "target":
            row_lower[cover_row] = problem.required

        lp = highspy.HighsLp()
        lp.num_col_ = n_col
        lp.num_row_ = n_row
        if problem.mode == "budget":
            lp.sense_ = highspy.ObjSense.kMaximize
            lp.col_cost_ = value[col_cls] * problem.weights[col_t]
        else:
            lp.sense_ = highspy.ObjSense.kMinimize
            # A tie-break far below the solver's tolerance: among plans of the
            # same cost, the one that saves earlier.
            scale = 1e-9 * float(cost.max(initial=1.0)) / max(float(value.max(initial=1.0)) * years, 1e-12)
            lp.col_cost_ = cost[col_cls] - scale * value[col_cls] * (years - col_t)
        lp.col_lower_ = np.zeros(n_col)
        lp.col_upper_ = np.asarray(size, dtype=float)[col_cls]
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted(c, np.arange(n_col + 1)).astype(np.int32)
        lp.a_matrix_.index_ = r.astype(np.int32)
        lp.a_matrix_.value_ = v.astype(float)
        self.lp = lp
        self.col_cls, self.col_t = col_cls, col_t
        self.budget_years, self.crew_years = budget_years, crew_years
        self.row_of_budget, self.row_of_crew, self.cover_row = row_of_budget, row_of_crew, cover_row
        self.mode = problem.mode
        self.years = years

    def run(
        self,
        *,
        integer: bool,
        time_limit: float = 120.0,
        start: np.ndarray | None = None,
        mip_gap: float = MIP_REL_GAP,
    ) -> highspy.Highs:
        if integer:
            self.lp.integrality_ = [highspy.HighsVarType.kInteger] * self.lp.num_col_
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.passModel(self.lp)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            raise PlanInfeasible(
                "no plan meets every constraint: the priority deadlines, the target or the "
                "yearly budget and crew cannot all hold",
                field="deadlines",
            )
        return h

    def relaxation(self) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """The linear relaxation: shadow prices per year of the budget and the crew, the
        target's, and the count of each class converted each year (classes x years)."""
        h = self.run(integer=False)
        sol = h.getSolution()
        dual = np.abs(np.asarray(sol.row_dual))
        lam = np.zeros(self.years)
        mu = np.zeros(self.years)
        lam[self.budget_years] = dual[self.row_of_budget[self.budget_years]]
        mu[self.crew_years] = dual[self.row_of_crew[self.crew_years]]
        alpha = float(dual[self.cover_row]) if self.mode == "target" else 0.0
        counts = np.zeros((int(self.col_cls.max(initial=-1)) + 1, self.years))
        counts[self.col_cls, self.col_t] = np.asarray(sol.col_value)
        return lam, mu, alpha, counts


def _spread(cls: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each item's year from its class's counts per year (first items first)."""
    order = np.argsort(cls, kind="stable")
    sorted_cls = cls[order]
    first = np.searchsorted(sorted_cls, np.arange(counts.shape[0]))
    position = np.arange(len(cls)) - first[sorted_cls]
    cum = np.cumsum(counts, axis=1)[sorted_cls]
    t = (position[:, None] >= cum).sum(axis=1)
    year = np.full(len(cls), -1, dtype=np.int64)
    year[order] = np.where(t < counts.shape[1], t, -1)
    return year
