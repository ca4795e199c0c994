"""The lighting fleet as arrays: today's light points, their schedules, their past states.

Read once from the registry (street lights with their attributes and cabinet),
the lamp history (assets.lamps), the lighting schedules and their dated history
(telemetry.lighting, telemetry.schedule_history) and the communes' switch-off
hours (this context's table), and kept while the data does not change (keyed by
the registry's data version, the histories' sizes and the schedules). Everything
the pages, the API and the retrofit planner compute starts from :func:`load_fleet`.

:meth:`Fleet.schedules_on` gives the schedules the points had on a past day: each
group's from its history (today's where it has none), a commune's switch-off
from the day it was decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select

from vigie.assets.actions import data_version
from vigie.assets.lamps import load_history
from vigie.assets.storage import AssetRow, LampChangeRow
from vigie.lighting.domain import Schedule, tech_codes
from vigie.lighting.storage import SwitchOffRow
from vigie.runtime import Vigie
from vigie.telemetry.lighting import DEFAULT_SCHEDULE, list_schedules
from vigie.telemetry.schedule_history import Change, history_version, load_changes, state_on

NOT_LIT = ("planned", "removed")


@dataclass
class Fleet:
    """Today's street lights, one array entry per point (same order everywhere)."""

    ids: np.ndarray  # str
    zone: np.ndarray  # str: commune code
    cabinet: np.ndarray  # str: control cabinet id ("" when none)
    group: np.ndarray  # str: light group
    lat: np.ndarray
    long: np.ndarray
    status: np.ndarray  # str
    technology: np.ndarray  # str, as the registry holds it
    tech: np.ndarray  # codes (lighting.domain.tech_codes)
    watts: np.ndarray  # rated lamp W (NaN unknown)
    second_watts: np.ndarray  # a second lamp's W (0 when none)
    installed_on: list[date | None]
    attributes: list[dict[str, Any]]
    schedule_index: np.ndarray  # into schedules
    schedules: list[Schedule]
    schedule_names: list[str]
    history: PastStates
    # What the schedules are made of, for the schedules of a past day (schedules_on).
    groups_now: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedule_changes: list[Change] = field(default_factory=list)
    offs: dict[str, tuple[str, str, date | None]] = field(default_factory=dict)
    # Computed once per fleet by the use cases: hours per model year, verdicts per (rule set, day).
    hours: dict[Any, np.ndarray] = field(default_factory=dict)
    verdicts: dict[tuple[str, date], list[Any]] = field(default_factory=dict)
    reports: dict[tuple[str, date], Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def schedules_on(self, day: date) -> tuple[np.ndarray, list[Schedule], list[str]]:
        """(schedule_index, schedules, names) of the points at the end of ``day``.

        A group with a history burns what it says on that day; one without, its schedule
        of today; a group without a schedule of its own then, the one for every light. A
        commune's switch-off counts from the day it was decided (always when unknown).
        """
        if not self.schedule_changes and all(d is None or d <= day for _, _, d in self.offs.values()):
            return self.schedule_index, self.schedules, self.schedule_names
        groups = set(self.groups_now) | {c.group for c in self.schedule_changes}
        by_group: dict[str, dict[str, Any]] = {}
        for g in groups:
            known, state = state_on(self.schedule_changes, g, day)
            if not known:
                if g in self.groups_now:
                    by_group[g] = self.groups_now[g]
            elif state is not None and state.get("active", True):
                by_group[g] = {"name": self.groups_now.get(g, {}).get("name", g), **state}
        offs = {z: (a, b) for z, (a, b, d) in self.offs.items() if d is None or d <= day}
        return assign_schedules(self.group.tolist(), self.zone.tolist(), by_group, offs)

    @property
    def lit(self) -> np.ndarray:
        return ~np.isin(self.status, NOT_LIT)


@dataclass
class PastStates:
    """The lamp history in arrays, sorted by point then day, with each change's point index."""

    point: np.ndarray  # index into Fleet arrays (-1: a point no longer in the registry)
    day: np.ndarray  # datetime64[D]
    technology: np.ndarray  # str
    watts: np.ndarray

    def at(self, fleet: Fleet, day: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(exists, technology, watts) of every point at the end of ``day``.

        A point with history is as its latest change on or before ``day`` says,
        and did not exist before its first change; a point without history is
        taken as it is today, existing from its installation date (always when
        unknown).
        """
        n = len(fleet)
        exists = np.ones(n, dtype=bool)
        known = [d is not None and d > day for d in fleet.installed_on]
        exists[np.array(known, dtype=bool)] = False
        tech = fleet.technology.copy()
        watts = fleet.watts.copy()
        has_history = np.zeros(n, dtype=bool)
        valid = self.point >= 0
        has_history[self.point[valid]] = True
        exists[has_history] = False
        mask = valid & (self.day <= np.datetime64(day, "D"))
        if mask.any():
            # Sorted by point then day: the last masked row of each point is its state.
            idx = np.flatnonzero(mask)
            points = self.point[idx]
            last = np.r_[points[1:] != points[:-1], True]
            chosen = idx[last]
            p = self.point[chosen]
            exists[p] = True
            tech[p] = self.technology[chosen]
            watts[p] = self.watts[chosen]
        return exists, tech, watts


def _schedule_of(row: dict[str, Any]) -> Schedule:
    return Schedule(
        on_offset_minutes=int(row.get("on_offset_minutes") or 0),
        off_offset_minutes=int(row.get("off_offset_minutes") or 0),
        dim_start=row.get("dim_start") or None,
        dim_end=row.get("dim_end") or None,
        dim_level=float(row["dim_level"]) if row.get("dim_level") is not None else 1.0,
        off_start=row.get("off_start") or None,
        off_end=row.get("off_end") or None,
    )


def switch_offs(v: Vigie) -> dict[str, tuple[str, str]]:
    with v.db.session() as s:
        return {r.zone: (r.off_start, r.off_end) for r in s.scalars(select(SwitchOffRow))}


def switch_off_days(v: Vigie) -> dict[str, tuple[str, str, date | None]]:
    with v.db.session() as s:
        return {r.zone: (r.off_start, r.off_end, r.decided_on) for r in s.scalars(select(SwitchOffRow))}


def assign_schedules(
    groups: list[str],
    zones: list[str],
    by_group: dict[str, dict[str, Any]],
    offs: dict[str, tuple[str, str]],
) -> tuple[np.ndarray, list[Schedule], list[str]]:
    """Each point's schedule: its group's, else the one for every group ('*', else Vigie's
    default), with its commune's switch-off on top; as (index per point, schedules, names)."""
    default = by_group.get("*", DEFAULT_SCHEDULE)
    schedules: list[Schedule] = []
    names: list[str] = []
    index_of: dict[tuple[str, str], int] = {}
    schedule_index = np.empty(len(groups), dtype=np.int64)
    for i, (g, z) in enumerate(zip(groups, zones, strict=True)):
        key = (g if g in by_group else "*", z if z in offs else "")
        k = index_of.get(key)
        if k is None:
            base = by_group.get(key[0], default)
            plan = _schedule_of(base)
            name = str(base.get("name", ""))
            if key[1]:
                plan = plan.with_switch_off(*offs[key[1]])
                name += f" + extinction {offs[key[1]][0]}–{offs[key[1]][1]}"
            k = index_of[key] = len(schedules)
            schedules.append(plan)
            names.append(name)
        schedule_index[i] = k
    return schedule_index, schedules, names


def _version(v: Vigie) -> tuple[Any, ...]:
    with v.db.session() as s:
        changes, last = s.execute(select(func.count(), func.max(LampChangeRow.id))).one()
        offs = tuple(
            (z, a, b, d)
            for z, a, b, d in s.execute(
                select(
                    SwitchOffRow.zone, SwitchOffRow.off_start, SwitchOffRow.off_end, SwitchOffRow.decided_on
                )
            )
        )

    schedules = tuple(tuple(sorted(r.items())) for r in list_schedules(v))
    return (data_version(v), changes, last, offs, history_version(v), str(schedules))


def load_fleet(v: Vigie) -> Fleet:
    """Today's fleet in arrays (cached until the registry, history or schedules change)."""
    version = _version(v)
    cached = v.caches.lighting_fleet
    if cached is not None and cached[0] == version:
        return cached[1]
    fleet = _read(v)
    v.caches.lighting_fleet = (version, fleet)
    return fleet


def _read(v: Vigie) -> Fleet:
    with v.db.session() as s:
        rows = s.execute(
            select(
                AssetRow.id,
                AssetRow.zone,
                AssetRow.links,
                AssetRow.group,
                AssetRow.lat,
                AssetRow.long,
                AssetRow.status,
                AssetRow.installed_on,
                AssetRow.attributes,
            )
            .where(AssetRow.type == "street_light")
            .order_by(AssetRow.id)
        ).all()
    attrs = [dict(r.attributes or {}) for r in rows]

    def number(a: dict[str, Any], key: str, default: float) -> float:
        value = a.get(key)
        if isinstance(value, bool) or value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            return default

    ids = np.array([r.id for r in rows], dtype=object)
    technology = np.array([str(a.get("lampTechnology") or "other") for a in attrs], dtype="U8")
    group = np.array([r.group or "" for r in rows], dtype=object)
    zone = np.array([r.zone or "" for r in rows], dtype=object)
    # Schedules: a group's own, else the one for every group ('*'); a commune's switch-off on top.
    by_group: dict[str, dict[str, Any]] = {}
    for sched in list_schedules(v):
        if sched["active"]:
            by_group.setdefault(sched["group"], sched)
    offs = switch_offs(v)
    schedule_index, schedules, names = assign_schedules(group.tolist(), zone.tolist(), by_group, offs)
    fleet = Fleet(
        ids=ids,
        zone=zone,
        cabinet=np.array(
            [str((r.links or {}).get("refStreetlightControlCabinet") or "") for r in rows], dtype=object
        ),
        group=group,
        lat=np.array([r.lat if r.lat is not None else np.nan for r in rows], dtype=np.float64),
        long=np.array([r.long if r.long is not None else np.nan for r in rows], dtype=np.float64),
        status=np.array([r.status for r in rows], dtype="U16"),
        technology=technology,
        tech=tech_codes(technology),
        watts=np.array([number(a, "powerRating", np.nan) for a in attrs]),
        second_watts=np.array([number(a, "secondLampPowerRating", 0.0) for a in attrs]),
        installed_on=[r.installed_on for r in rows],
        attributes=attrs,
        schedule_index=schedule_index,
        schedules=schedules,
        schedule_names=names,
        groups_now=by_group,
        schedule_changes=load_changes(v),
        offs=switch_off_days(v),
        history=PastStates(
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype="datetime64[D]"),
            np.empty(0, dtype="U8"),
            np.empty(0),
        ),
    )
    h = load_history(v)
    position = {pid: i for i, pid in enumerate(ids.tolist())}
    fleet.history = PastStates(
        point=np.array([position.get(a, -1) for a in h.asset_id], dtype=np.int64),
        day=np.array(h.changed_on, dtype="datetime64[D]"),
        technology=np.array(h.lamp_technology, dtype="U8"),
        watts=np.array([w if w is not None else np.nan for w in h.power_rating], dtype=np.float64),
    )
    return fleet


__all__ = ["Fleet", "PastStates", "assign_schedules", "load_fleet", "switch_off_days", "switch_offs"]
