"""Use cases of the lighting context: the fleet's energy against the targets, compliance, switch-off.

Energy compares fleets, not years of weather: every fleet (the reference
year's, each past year's, today's) burns the nights of the current year at each
point's position, so that the savings shown are what the city changed. The
fleet of a past year is the one standing at its end (31 December): its lamps
from the lamp history, its schedules from the schedules' history (dimming and
switch-off changes of the light groups, a commune's switch-off from the day it
was decided).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.lighting import compliance
from vigie.lighting.domain import PointEnergy, Prices, equivalent_hours, point_energy, tech_codes
from vigie.lighting.fleet import Fleet, load_fleet
from vigie.lighting.storage import SwitchOffRow
from vigie.runtime import Vigie

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def prices_of(v: Vigie) -> Prices:
    p = v.city.lighting
    return Prices(tariff_per_kwh=p.tariff_per_kwh, co2_kg_per_kwh=p.co2_kg_per_kwh, currency=p.currency)


def fleet_hours(v: Vigie, fleet: Fleet, year: int, as_of: date | None = None) -> np.ndarray:
    """Equivalent full-power hours of each point over the nights of ``year``, with the
    schedules of today, or those in force at the end of ``as_of`` (kept with the fleet)."""
    index, schedules, _ = (
        fleet.schedules_on(as_of)
        if as_of is not None
        else (
            fleet.schedule_index,
            fleet.schedules,
            [],
        )
    )
    key = (year, tuple(schedules), index.tobytes()) if as_of is not None else year
    cache = fleet.hours
    if key not in cache:
        cache[key] = equivalent_hours(fleet.lat, fleet.long, index, schedules, year, v.city.timezone)
    return cache[key]


@dataclass
class FleetEnergy:
    """Per-point arrays of today's fleet: what the retrofit planner starts from.

    ``energy.kwh[i]`` and ``energy.cost[i]`` are point ``fleet.ids[i]``'s yearly
    kWh and money (the city's currency) as it stands today, with its schedule;
    ``verdicts[i]`` its compliance status (None: no rule set, or not in use).
    """

    fleet: Fleet
    energy: PointEnergy
    year: int
    verdicts: list[compliance.Verdict | None]


def current_point_energy(v: Vigie, today: date | None = None) -> FleetEnergy:
    """Today's fleet with each point's yearly kWh, money, CO2 and compliance verdict."""
    today = today or date.today()
    fleet = load_fleet(v)
    hours = fleet_hours(v, fleet, today.year)
    energy = point_energy(fleet.tech, fleet.watts, hours, prices_of(v), fleet.second_watts, lit=fleet.lit)
    return FleetEnergy(fleet, energy, today.year, verdicts(v, fleet, today))


def energy_at(v: Vigie, fleet: Fleet, day: date, year: int) -> tuple[PointEnergy, np.ndarray, np.ndarray]:
    """(energy, exists, technology) of the fleet standing at the end of ``day``."""
    exists, tech, watts = fleet.history.at(fleet, day)
    hours = fleet_hours(v, fleet, year, as_of=day)
    e = point_energy(tech_codes(tech), watts, hours, prices_of(v), fleet.second_watts, lit=exists)
    return e, exists, tech


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def energy_report(v: Vigie, today: date | None = None) -> dict[str, Any]:
    """Where the city stands: today's energy, the trajectory since the reference, the targets."""
    today = today or date.today()
    fleet = load_fleet(v)
    if ("energy", today) not in fleet.reports:
        fleet.reports[("energy", today)] = _energy_report(v, today)
    return fleet.reports[("energy", today)]  # type: ignore[no-any-return]


def _energy_report(v: Vigie, today: date) -> dict[str, Any]:
    now = current_point_energy(v, today)
    fleet, e = now.fleet, now.energy
    prof = v.city.lighting
    lit = fleet.lit
    unknown = int((lit & ~(e.system_watts > 0)).sum())
    refs = sorted(
        {t.reference_year for t in prof.targets} | ({prof.programme_start} if prof.programme_start else set())
    )
    first_year = min(refs) if refs else today.year
    trajectory: list[dict[str, Any]] = []
    for year in range(first_year, today.year + 1):
        day = date(year, 12, 31) if year < today.year else today
        past, exists, tech = (
            energy_at(v, fleet, day, today.year) if year < today.year else (e, lit, fleet.technology)
        )
        on = exists if year < today.year else lit
        trajectory.append(
            {
                "year": year,
                "as_of": day.isoformat(),
                "points": int(on.sum()),
                "led": int((on & (tech == "LED")).sum()),
                "led_share": _share(float((on & (tech == "LED")).sum()), float(on.sum())),
                "kwh": round(float(past.kwh.sum())),
                "cost": round(float(past.cost.sum())),
                "co2_kg": round(float(past.co2_kg.sum())),
            }
        )
    by_year: dict[Any, dict[str, Any]] = {t["year"]: t for t in trajectory}
    targets = []
    for t in prof.targets:
        ref = by_year.get(t.reference_year)
        ref_kwh = float(ref["kwh"]) if ref else None
        target_kwh = ref_kwh * (1 - t.reduction) if ref_kwh is not None else None
        saved = 1 - float(e.kwh.sum()) / ref_kwh if ref_kwh else None
        years_left = max(t.year - today.year, 0)
        targets.append(
            {
                "id": t.id,
                "label": t.label,
                "reduction": t.reduction,
                "year": t.year,
                "reference_year": t.reference_year,
                "reference_kwh": round(ref_kwh) if ref_kwh is not None else None,
                "target_kwh": round(target_kwh) if target_kwh is not None else None,
                "saving": round(saved, 4) if saved is not None else None,
                "remaining_kwh": round(max(float(e.kwh.sum()) - target_kwh, 0.0))
                if target_kwh is not None
                else None,
                "reached": bool(saved is not None and saved >= t.reduction),
                "years_left": years_left,
                "kwh_to_save_per_year": round(max(float(e.kwh.sum()) - target_kwh, 0.0) / years_left)
                if target_kwh is not None and years_left
                else None,
            }
        )
    mix = []
    for name in sorted(set(fleet.technology[lit].tolist())):
        m = lit & (fleet.technology == name)
        mix.append(
            {
                "technology": name,
                "points": int(m.sum()),
                "system_kw": round(float(e.system_watts[m].sum()) / 1000, 1),
                "kwh": round(float(e.kwh[m].sum())),
            }
        )
    return {
        "as_of": today.isoformat(),
        "model_year": today.year,
        "currency": prof.currency,
        "tariff_per_kwh": prof.tariff_per_kwh,
        "co2_kg_per_kwh": prof.co2_kg_per_kwh,
        "points": int(lit.sum()),
        "points_without_power": unknown,
        "led": int((lit & (fleet.technology == "LED")).sum()),
        "kwh": round(float(e.kwh.sum())),
        "cost": round(float(e.cost.sum())),
        "co2_kg": round(float(e.co2_kg.sum())),
        "system_kw": round(float(e.system_watts.sum()) / 1000, 1),
        "mix": mix,
        "trajectory": trajectory,
        "targets": targets,
        "zones": _by(v, fleet, e, fleet.zone, today, names=True),
    }


def _by(
    v: Vigie, fleet: Fleet, e: PointEnergy, keys: np.ndarray, today: date, names: bool = False
) -> list[dict[str, Any]]:
    """Today's energy and the saving against the first target's reference, per key (commune, cabinet)."""
    prof = v.city.lighting
    ref_year = prof.targets[0].reference_year if prof.targets else prof.programme_start
    uniq, inv = np.unique(keys.astype(str), return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    lit = fleet.lit
    kwh_now = np.bincount(inv, weights=e.kwh, minlength=len(uniq))
    cost_now = np.bincount(inv, weights=e.cost, minlength=len(uniq))
    points = np.bincount(inv, weights=lit.astype(float), minlength=len(uniq))
    led = np.bincount(inv, weights=(lit & (fleet.technology == "LED")).astype(float), minlength=len(uniq))
    kwh_ref = None
    if ref_year is not None and ref_year < today.year:
        past, _, _ = energy_at(v, fleet, date(ref_year, 12, 31), today.year)
        kwh_ref = np.bincount(inv, weights=past.kwh, minlength=len(uniq))
    out = []
    zones = {z.code: z.name for z in v.city.zones.zones} if names else {}
    for i, key in enumerate(uniq.tolist()):
        ref = float(kwh_ref[i]) if kwh_ref is not None else None
        row: dict[str, Any] = {
            "id": key,
            "points": int(points[i]),
            "led": int(led[i]),
            "kwh": round(float(kwh_now[i])),
            "cost": round(float(cost_now[i])),
            "reference_kwh": round(ref) if ref is not None else None,
            "saving": round(1 - float(kwh_now[i]) / ref, 4) if ref else None,
        }
        if names:
            row["name"] = zones.get(key, key)
        out.append(row)
    out.sort(key=lambda r: -r["kwh"])
    return out


def cabinets_report(v: Vigie, today: date | None = None) -> list[dict[str, Any]]:
    today = today or date.today()
    now = current_point_energy(v, today)
    return _by(v, now.fleet, now.energy, now.fleet.cabinet, today)


# --- compliance ----------------------------------------------------------------------------


def verdicts(v: Vigie, fleet: Fleet, today: date) -> list[compliance.Verdict | None]:
    rule_set = v.city.lighting.compliance
    cache = fleet.verdicts
    key = (rule_set, today)
    if key not in cache:
        cache[key] = [
            compliance.judge(rule_set, a, inst, str(st), today)
            for a, inst, st in zip(fleet.attributes, fleet.installed_on, fleet.status.tolist(), strict=True)
        ]
    return cache[key]


def compliance_report(v: Vigie, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    rule_set = v.city.lighting.compliance
    fleet = load_fleet(v)
    judged = verdicts(v, fleet, today)
    counts = dict.fromkeys(compliance.STATUSES, 0)
    by_rule = dict.fromkeys(compliance.RULES, 0)
    missing: dict[str, int] = {}
    zones: dict[str, dict[str, int]] = {}
    for verdict, zone in zip(judged, fleet.zone.tolist(), strict=True):
        if verdict is None:
            continue
        counts[verdict.status] += 1
        z = zones.setdefault(zone, dict.fromkeys(compliance.STATUSES, 0))
        z[verdict.status] += 1
        for r in verdict.broken:
            by_rule[r] += 1
        if verdict.status == compliance.UNKNOWN:
            for m in verdict.missing:
                missing[m] = missing.get(m, 0) + 1
    names = {z.code: z.name for z in v.city.zones.zones}
    return {
        "as_of": today.isoformat(),
        "rule_set": rule_set,
        "judged": sum(counts.values()),
        "counts": counts,
        "rules": [{"id": r.id, "text": r.text, "points": by_rule[r.id]} for r in compliance.RULES.values()]
        if rule_set != "none"
        else [],
        "missing": dict(sorted(missing.items(), key=lambda kv: -kv[1])),
        "zones": sorted(
            ({"id": k, "name": names.get(k, k), **c} for k, c in zones.items()),
            key=lambda r: -r[compliance.NON_COMPLIANT],
        ),
    }


def compliance_geojson(
    v: Vigie, status: str, today: date | None = None, limit: int = 50_000, zone: str = ""
) -> dict[str, Any]:
    """The points of one compliance status (or ``all``), in one commune or everywhere, as a
    GeoJSON layer (the agents' map)."""
    if status not in (*compliance.STATUSES, "all"):
        raise ValidationFailed(f"status is one of {', '.join(compliance.STATUSES)} or all", field="status")
    if zone and zone not in {z.code for z in v.city.zones.zones}:
        raise ValidationFailed(f"unknown commune '{zone}'", field="zone")
    today = today or date.today()
    fleet = load_fleet(v)
    zones = fleet.zone.tolist()
    features = []
    for i, verdict in enumerate(verdicts(v, fleet, today)):
        if verdict is None or np.isnan(fleet.lat[i]):
            continue
        if (status != "all" and verdict.status != status) or (zone and zones[i] != zone):
            continue
        features.append(
            {
                "type": "Feature",
                "id": fleet.ids[i],
                "geometry": {"type": "Point", "coordinates": [float(fleet.long[i]), float(fleet.lat[i])]},
                "properties": {
                    "id": fleet.ids[i],
                    "status": verdict.status,
                    "zone": zones[i],
                    "broken": list(verdict.broken),
                    "missing": list(verdict.missing),
                    "lampTechnology": str(fleet.technology[i]),
                },
            }
        )
        if len(features) >= limit:
            break
    return {"type": "FeatureCollection", "features": features}


# --- communes' switch-off ------------------------------------------------------------------


def switch_off_view(r: SwitchOffRow, names: dict[str, str]) -> dict[str, Any]:
    return {
        "zone": r.zone,
        "name": names.get(r.zone, r.zone),
        "off_start": r.off_start,
        "off_end": r.off_end,
        "decided_on": r.decided_on.isoformat() if r.decided_on else None,
        "note": r.note,
    }


def list_switch_offs(v: Vigie) -> list[dict[str, Any]]:
    names = {z.code: z.name for z in v.city.zones.zones}
    with v.db.session() as s:
        return [
            switch_off_view(r, names) for r in s.scalars(select(SwitchOffRow).order_by(SwitchOffRow.zone))
        ]


def check_switch_off(v: Vigie, zone: str, data: dict[str, Any]) -> dict[str, Any]:
    if zone not in {z.code for z in v.city.zones.zones}:
        raise NotFound(f"no zone '{zone[:32]}' in {v.city.name}")
    out: dict[str, Any] = {}
    for k in ("off_start", "off_end"):
        value = str(data.get(k) or "")
        if not HHMM.match(value):
            raise ValidationFailed(f"{k} is a local time HH:MM", field=k)
        out[k] = value
    if out["off_start"] == out["off_end"]:
        raise ValidationFailed("off_end differs from off_start", field="off_end")
    raw = data.get("decided_on")
    try:
        out["decided_on"] = date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        raise ValidationFailed("decided_on is a date YYYY-MM-DD", field="decided_on") from None
    note = str(data.get("note") or "").strip()
    if len(note) > 300 or "\x00" in note:
        raise ValidationFailed("note has at most 300 characters", field="note")
    out["note"] = note
    return out


def do_set_switch_off(
    v: Vigie, agent: Agent | None, zone: str, data: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Record a commune's part-night switch-off (``data`` None: it has none any more)."""
    agent = require(agent, "lighting.manage")
    clean = check_switch_off(v, zone, data) if data is not None else None
    names = {z.code: z.name for z in v.city.zones.zones}
    if data is None and zone not in names:
        raise NotFound(f"no zone '{zone[:32]}' in {v.city.name}")
    with v.db.session(write=True) as s:
        row = s.get(SwitchOffRow, zone)
        if clean is None:
            if row is not None:
                s.delete(row)
            do_audit(s, agent, "lighting.switch_off", "zone", zone, {"removed": True})
            s.commit()
            return None
        if row is None:
            row = SwitchOffRow(zone=zone, **clean, updated_at=utcnow())
            s.add(row)
        else:
            for k, val in clean.items():
                setattr(row, k, val)
            row.updated_at = utcnow()
        do_audit(s, agent, "lighting.switch_off", "zone", zone, {k: str(v_) for k, v_ in clean.items()})
        s.commit()
        return switch_off_view(row, names)


__all__ = [
    "FleetEnergy",
    "cabinets_report",
    "compliance_geojson",
    "compliance_report",
    "current_point_energy",
    "do_set_switch_off",
    "energy_report",
    "list_switch_offs",
]
