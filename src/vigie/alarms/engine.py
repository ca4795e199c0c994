"""Rule evaluation: plain Python, in memory, called by the ingest for every accepted message.

The engine remembers which (asset, rule) pairs are active so that a repeat
updates the existing alarm instead of raising a new one, thresholds clear only
past their clearing limit (hysteresis) and heartbeats clear on the next message.
Consumption rules keep each meter's recent readings in memory from the messages
and are judged on the alarm timer against a model handed in by the wiring
(:data:`EnergyModel`): the model may read the database, which the hot path
must not wait for. It produces :class:`Op` values; :mod:`vigie.alarms.actions`
writes them.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from vigie.alarms.rules import Rule
from vigie.telemetry import sun
from vigie.telemetry.registry import AssetInfo

log = logging.getLogger(__name__)

# What a model expects each asset's meter to count over a span: [(asset id, start, end)]
# -> kWh, or None where it cannot say (unknown asset, data missing).
EnergyModel = Callable[[list[tuple[str, datetime, datetime]]], list[float | None]]
# A consumption rule is judged at most this often per asset (its window slides).
JUDGE_EVERY = timedelta(minutes=15)

# Assets in these registry states raise no new alarm (maintenance window, removed…).
SILENT_STATUSES = frozenset(
    {"maintenance", "out_of_service", "decommissioned", "removed", "planned", "stock"}
)


@dataclass(slots=True)
class Op:
    kind: str  # raise | repeat | clear
    asset: AssetInfo
    rule: Rule
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    count: int = 1  # a held repeat stands for this many messages

    @property
    def key(self) -> tuple[str, str]:
        return (self.asset.id, self.rule.id)


@dataclass(slots=True)
class MeterWindow:
    """One consumption rule's window on one asset, ready to be judged."""

    asset: AssetInfo
    rule: Rule
    start: datetime
    end: datetime
    measured_kwh: float
    modelled_kwh: float | None = None


class RuleEngine:
    def __init__(self, rules: Iterable[Rule], energy_model: EnergyModel | None = None) -> None:
        self.rules = {r.id: r for r in rules}
        self.by_kind: dict[str, list[Rule]] = {}
        self.heartbeats: dict[str, list[Rule]] = {}
        self.meters: dict[str, list[Rule]] = {}
        for r in self.rules.values():
            target = self.heartbeats if r.kind == "heartbeat" else self.meters if r.meter else self.by_kind
            for k in r.asset_kinds:
                target.setdefault(k, []).append(r)
        self.energy_model = energy_model
        # (asset_id, meter field) -> (time, reading), oldest first, about one window long.
        self._readings: dict[tuple[str, str], deque[tuple[datetime, float]]] = {}
        self._metered: dict[str, AssetInfo] = {}
        self._judged: dict[tuple[str, str], datetime] = {}
        self._keep = max((r.meter.window for r in self.rules.values() if r.meter), default=timedelta(0))
        # (asset_id, rule_id) of every active alarm this engine knows of, and per asset.
        self.active: set[tuple[str, str]] = set()
        self._active_of: dict[str, set[str]] = {}
        # asset_id -> rule ids of its active heartbeat alarms (cleared by any message).
        self.silent: dict[str, set[str]] = {}
        # (UTC day, 0.1° cell of latitude, of longitude) -> (sunrise, sunset), for daylight rules.
        self._sun: dict[tuple[date, int, int], tuple[datetime, datetime] | None] = {}

    # --- state ---------------------------------------------------------------

    def _activate(self, asset_id: str, rule_id: str) -> None:
        self.active.add((asset_id, rule_id))
        self._active_of.setdefault(asset_id, set()).add(rule_id)

    def _deactivate(self, asset_id: str, rule_id: str) -> None:
        self.active.discard((asset_id, rule_id))
        ids = self._active_of.get(asset_id)
        if ids is not None:
            ids.discard(rule_id)
            if not ids:
                del self._active_of[asset_id]

    def load_active(self, keys: Iterable[tuple[str, str]]) -> None:
        for asset_id, rule_id in keys:
            rule = self.rules.get(rule_id)
            if rule is None:
                continue
            self._activate(asset_id, rule_id)
            if rule.kind == "heartbeat":
                self.silent.setdefault(asset_id, set()).add(rule_id)

    def active_keys(self) -> list[tuple[str, str]]:
        return list(self.active)

    def drop_assets(self, asset_ids: Iterable[str]) -> None:
        """Forget everything about these assets (their partition went to another process)."""
        gone = set(asset_ids)
        for asset_id in gone:
            for rule_id in list(self._active_of.get(asset_id, ())):
                self._deactivate(asset_id, rule_id)
            self.silent.pop(asset_id, None)
            self._metered.pop(asset_id, None)
        for key in [k for k in self._readings if k[0] in gone]:
            del self._readings[key]
        for key in [k for k in self._judged if k[0] in gone]:
            del self._judged[key]

    def forget(self, asset_id: str, rule_id: str) -> None:
        """An alarm was cleared by a person: a persisting condition raises a new one."""
        self._deactivate(asset_id, rule_id)
        ids = self.silent.get(asset_id)
        if ids is not None:
            ids.discard(rule_id)
            if not ids:
                del self.silent[asset_id]

    # --- evaluation ------------------------------------------------------------

    def evaluate(self, asset: AssetInfo, state: dict[str, Any], changed: Any, at: datetime) -> list[Op]:
        """Ops caused by one message; ``state`` holds the merged latest values.

        ``changed`` holds the measurements the message carried (a dict or a set):
        only rules about one of them are evaluated.
        """
        ops: list[Op] = []
        if asset.id in self.silent:
            for rule_id in sorted(self.silent.pop(asset.id)):
                self._deactivate(asset.id, rule_id)
                ops.append(Op("clear", asset, self.rules[rule_id], at, {"reason": "reporting"}))
        meters = self.meters.get(asset.kind)
        if meters:
            self._read_meters(asset, meters, state, changed, at)
        rules = self.by_kind.get(asset.kind)
        if not rules:
            return ops
        active = self._active_of.get(asset.id)
        for rule in rules:
            if rule.fields.isdisjoint(changed):
                continue
            firing = rule.raise_when.test(state)  # type: ignore[union-attr]
            if rule.daylight_margin is not None and firing:
                firing = self.daylight(asset, at, rule.daylight_margin)
            if active is not None and rule.id in active:
                if rule.clear_when is not None:
                    clear = rule.clear_when.test(state) is True
                else:
                    clear = firing is False
                if clear:
                    self._deactivate(asset.id, rule.id)
                    ops.append(Op("clear", asset, rule, at, _detail(rule, state)))
                elif firing:
                    ops.append(Op("repeat", asset, rule, at, _detail(rule, state)))
            elif firing and asset.status not in SILENT_STATUSES:
                self._activate(asset.id, rule.id)
                active = self._active_of.get(asset.id)
                ops.append(Op("raise", asset, rule, at, _detail(rule, state)))
        return ops

    # --- consumption rules ---------------------------------------------------------

    def _read_meters(
        self, asset: AssetInfo, rules: list[Rule], state: dict[str, Any], changed: Any, at: datetime
    ) -> None:
        for name in {r.meter.field for r in rules if r.meter}:
            if name not in changed:
                continue
            value = state.get(name)
            if type(value) is not float and type(value) is not int:
                continue
            self._add_reading(asset, name, at, float(value))

    def _add_reading(self, asset: AssetInfo, name: str, at: datetime, value: float) -> None:
        readings = self._readings.setdefault((asset.id, name), deque())
        if readings:
            if at <= readings[-1][0]:
                return  # late or repeated: the window's ends are what count
            if value < readings[-1][1]:  # a meter replaced or reset: start again
                readings.clear()
        readings.append((at, value))
        # Keep one reading at or before the longest window's start.
        horizon = at - self._keep
        while len(readings) > 2 and readings[1][0] <= horizon:
            readings.popleft()
        self._metered[asset.id] = asset

    def meter_fields(self) -> dict[str, set[str]]:
        """The meter fields the consumption rules read, per asset kind."""
        return {kind: {r.meter.field for r in rules if r.meter} for kind, rules in self.meters.items()}

    def meter_span(self) -> timedelta:
        """How far back the consumption rules look (the longest window)."""
        return self._keep

    def seed_meters(self, readings: Iterable[tuple[AssetInfo, str, datetime, float]]) -> int:
        """Readings stored before this engine started (the telemetry series): each meter's
        window is whole at once, instead of a whole window after a restart. Readings this
        engine already holds (messages since the start) are merged in time order. The number
        of meters seeded."""
        fields = self.meter_fields()
        seeded: dict[tuple[str, str], tuple[AssetInfo, list[tuple[datetime, float]]]] = {}
        for asset, name, at, value in readings:
            if name in fields.get(asset.kind, ()):
                seeded.setdefault((asset.id, name), (asset, []))[1].append((at, value))
        for (asset_id, name), (asset, found) in seeded.items():
            held = self._readings.pop((asset_id, name), None) or ()
            for at, value in sorted([*found, *held]):
                self._add_reading(asset, name, at, value)
        return len(seeded)

    def meter_windows(self, now: datetime) -> list[MeterWindow]:
        """The consumption windows due for a judgement (cheap: called under the ingest lock).

        A window ends at the asset's latest reading and starts at the latest reading
        at least the rule's window before it; a meter silent for longer than a window
        is left to the heartbeat rules.
        """
        due: list[MeterWindow] = []
        for (asset_id, name), readings in self._readings.items():
            if len(readings) < 2:
                continue
            asset = self._metered[asset_id]
            end, last = readings[-1]
            for rule in self.meters.get(asset.kind, ()):
                spec = rule.meter
                if spec is None or spec.field != name or now - end > spec.window:
                    continue
                judged = self._judged.get((asset_id, rule.id))
                if judged is not None and end - judged < min(spec.window, JUDGE_EVERY):
                    continue
                start = first = None
                for t, value in readings:
                    if t > end - spec.window:
                        break
                    start, first = t, value
                if start is None or first is None:
                    continue  # not a whole window yet
                due.append(MeterWindow(asset, rule, start, end, last - first))
        return due

    def model_windows(self, windows: list[MeterWindow]) -> None:
        """Ask the model what each window should have counted (outside the ingest lock)."""
        if self.energy_model is None or not windows:
            return
        try:
            expected = self.energy_model([(w.asset.id, w.start, w.end) for w in windows])
        except Exception:  # a model that fails judges nothing this round; the ingest goes on
            log.exception("energy model failed; consumption rules not judged")
            return
        for w, kwh in zip(windows, expected, strict=True):
            w.modelled_kwh = kwh

    def judge_meters(self, windows: list[MeterWindow]) -> list[Op]:
        """Raise, repeat or clear consumption alarms from modelled windows."""
        ops: list[Op] = []
        for w in windows:
            spec = w.rule.meter
            if spec is None or w.modelled_kwh is None:
                continue
            asset, rule = w.asset, w.rule
            self._judged[(asset.id, rule.id)] = w.end
            gap = abs(w.measured_kwh - w.modelled_kwh)
            detail = {
                "measured_kwh": round(w.measured_kwh, 2),
                "modelled_kwh": round(w.modelled_kwh, 2),
                "ratio": round(w.measured_kwh / w.modelled_kwh, 3) if w.modelled_kwh > 0 else None,
                "direction": "over" if w.measured_kwh > w.modelled_kwh else "under",
                "from": w.start.isoformat(),
                "to": w.end.isoformat(),
            }
            if (asset.id, rule.id) in self.active:
                if gap <= spec.limit(w.modelled_kwh, clearing=True):
                    self._deactivate(asset.id, rule.id)
                    ops.append(Op("clear", asset, rule, w.end, detail))
                elif gap > spec.limit(w.modelled_kwh):
                    ops.append(Op("repeat", asset, rule, w.end, detail))
            elif gap > spec.limit(w.modelled_kwh) and asset.status not in SILENT_STATUSES:
                self._activate(asset.id, rule.id)
                ops.append(Op("raise", asset, rule, w.end, detail))
        return ops

    def daylight(self, asset: AssetInfo, at: datetime, margin: timedelta) -> bool | None:
        """Whether the sun is up at the asset, ``margin`` past sunrise and before sunset.

        The sun's times are kept per day and 0.1° cell (computed at its centre): a
        day-burner rule costs the ingest a dictionary look-up per message, not a solar
        calculation. The cell is found with ``math.floor``: ``round(x, 1)`` costs
        microseconds, and this runs for every lit street light's message. None (not
        judged) for an asset without a position, or in a polar day or night.
        """
        if asset.lat is None or asset.long is None:
            return None
        day = (at if at.tzinfo is UTC else at.astimezone(UTC)).date()
        key = (day, math.floor(asset.lat * 10), math.floor(asset.long * 10))
        try:
            times = self._sun[key]
        except KeyError:
            if len(self._sun) > 10_000:
                self._sun.clear()
            times = self._sun[key] = _sun_times(*key)
        if times is None:
            return None
        return times[0] + margin <= at <= times[1] - margin

    def check_heartbeats(
        self,
        now: datetime,
        assets: Iterable[AssetInfo],
        last_seen: Callable[[str], datetime | None],
        since: datetime,
    ) -> list[Op]:
        """Raise heartbeat alarms for assets silent longer than their rule allows.

        ``since`` is when the ingest started: an asset never heard from is given
        that long before it is reported silent.
        """
        if not self.heartbeats:
            return []
        ops: list[Op] = []
        for asset in assets:
            rules = self.heartbeats.get(asset.kind)
            if not rules or asset.status in SILENT_STATUSES:
                continue
            seen = last_seen(asset.id) or since
            for rule in rules:
                assert rule.heartbeat is not None
                key = (asset.id, rule.id)
                if key in self.active or now - seen < rule.heartbeat:
                    continue
                self._activate(asset.id, rule.id)
                self.silent.setdefault(asset.id, set()).add(rule.id)
                minutes = int((now - seen).total_seconds() // 60)
                ops.append(Op("raise", asset, rule, now, {"last_seen": seen.isoformat(), "minutes": minutes}))
        return ops


def _detail(rule: Rule, state: dict[str, Any]) -> dict[str, Any]:
    return {f: state.get(f) for f in rule.detail_fields}


def _sun_times(day: date, lat10: int, long10: int) -> tuple[datetime, datetime] | None:
    """Sunrise and sunset at the centre of a 0.1° cell; None in a polar day or night."""
    lat, long = (lat10 + 0.5) / 10, (long10 + 0.5) / 10
    try:
        return sun.sunrise(day, lat, long), sun.sunset(day, lat, long)
    except ValueError:
        return None
