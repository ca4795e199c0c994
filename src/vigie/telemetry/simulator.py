"""A living Dijon fleet: realistic telemetry for every asset, and answers to commands.

Street lights follow the astronomical clock (on at sunset, off at sunrise,
70 % flux from 22:00 to 05:00 unless a program command says otherwise) and
fail now and then; cameras drop offline, traffic controllers report faults,
road weather stations see frost on winter nights and vehicles drive around.
A control cabinet's meter counts what its lights draw (lamp and gear), cut from
midnight to 05:00 where the cabinet switches off part of the night, and now and
then far more (a fault to earth, lights stuck at full flux).
Each asset reports periodically and at once on a change (report by exception).
The same code runs in-process (embedded default) and in ``vigie simulate``.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from vigie.telemetry import sun
from vigie.telemetry.registry import AssetInfo
from vigie.telemetry.schema import (
    CABINET,
    CAMERA,
    STREETLIGHT,
    TRAFFIC_CONTROLLER,
    TRAFFIC_DETECTOR,
    VEHICLE,
    WEATHER_STATION,
)

PARIS = ZoneInfo("Europe/Paris")
# Reporting periods (simulated seconds).
PERIODS = {
    STREETLIGHT: 600,
    CABINET: 300,
    CAMERA: 60,
    TRAFFIC_CONTROLLER: 60,
    WEATHER_STATION: 300,
    VEHICLE: 15,
    TRAFFIC_DETECTOR: 300,
}
# Events per asset per simulated day.
RATES = {
    "lamp_failure": 1 / 400,
    "camera_offline": 0.3,
    "camera_recording": 0.05,
    "camera_storage": 0.02,
    "controller_fault": 0.15,
    "cabinet_door": 0.01,
    "cabinet_power": 0.005,
    "cabinet_overdraw": 0.02,
    "detector_congestion": 0.04,
}
# A controller's faults: (code, weight, operating mode it falls back to). Conflicting greens
# send a junction to flashing amber, a power cut leaves it dark; the others keep it running.
CONTROLLER_FAULTS = (
    ("lampFailure", 50, "normal"),
    ("detectorFault", 15, "normal"),
    ("communication", 15, "normal"),
    ("conflict", 10, "flashing"),
    ("powerFailure", 10, "off"),
)
FAULT_MODES = {code: mode for code, _, mode in CONTROLLER_FAULTS}
# Divia lines crossing signalled junctions: trams T1 and T2, the main bus lines.
PRIORITY_LINES = ("T1", "T2", "L3", "L4", "L5", "L6", "L7", "Corol", "10", "11", "12", "13", "15", "16")
CABINET_OWN_WATTS = 15.0  # the cabinet's controller and modem


def gear_factor(technology: object, watts: float) -> float:
    """Roughly what a lamp's control gear adds (the simulated meter is not the model)."""
    if technology in ("LED", "other", None):
        return 1.0
    if technology == "MH":  # metal halide and low-pressure sodium: smaller losses
        return 1.15
    if technology == "LPS":
        return 1.25
    return 1.35 if watts <= 100 else 1.25 if watts <= 150 else 1.2 if watts <= 250 else 1.15


MONTHLY_MEAN_C = [2.5, 3.5, 7.5, 10.5, 14.5, 18.0, 20.5, 20.0, 16.0, 11.5, 6.0, 3.0]
Message = tuple[str, dict[str, Any]]


def _h(asset_id: str) -> int:
    return zlib.crc32(asset_id.encode())


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timing_plan(local: datetime) -> str:
    """The plan a junction runs at a local time: peak plans on working days, a night plan."""
    hours = local.hour + local.minute / 60
    if hours < 6 or hours >= 22:
        return "P0-nuit"
    if local.weekday() < 5 and 7 <= hours < 9.5:
        return "P2-pointe-matin"
    if local.weekday() < 5 and 16.5 <= hours < 19:
        return "P3-pointe-soir"
    return "P1-base"


def _bump(hours: float, at: float, width: float) -> float:
    return math.exp(-(((hours - at) / width) ** 2) / 2)


def _peak_flow(detector_id: str) -> int:
    """A detector's flow at the busiest time of day, vehicles/hour (fixed per detector)."""
    return 450 + _h(detector_id) % 700


def detector_draw(
    expected: Any, period: int, normal: Callable[[Any, Any], Any], uniform: Callable[[float, float], Any]
) -> tuple[Any, Any, Any]:
    """Count, occupancy and average speed of a period in which ``expected`` vehicles pass: on
    floats with ``random.Random``'s draws (live messages), or on numpy arrays with a
    Generator's (histories). Below saturation, occupancy follows the flow (about 1.8 s over
    a loop per vehicle) and speed falls as the road fills."""
    count = np.maximum(0, np.rint(normal(expected, np.sqrt(expected + 1))))
    occupancy = np.minimum(0.95, count * 1.8 / period * uniform(0.9, 1.1))
    speed = np.maximum(8.0, 52 - 60 * occupancy + normal(0, 3))
    return count, occupancy, speed


def daily_profile(local: datetime) -> float:
    """Share of a road's peak flow at a local time (0-1): the usual urban shape, two peaks
    on working days (08:00 and 17:30), one broad afternoon hump on weekends (lower on
    Sundays), little traffic at night."""
    hours = local.hour + local.minute / 60
    day = local.weekday()
    night = 0.04 + 0.06 * _bump(hours, 23, 1.5)
    if day < 5:
        return min(
            1.0,
            night
            + 0.95 * _bump(hours, 8.0, 0.9)
            + 0.5 * _bump(hours, 13, 3.5)
            + 0.9 * _bump(hours, 17.5, 1.2),
        )
    weekend = 0.6 if day == 5 else 0.42
    return min(1.0, night + weekend * _bump(hours, 15, 3.5))


@dataclass
class Device:
    asset: AssetInfo
    phase: int
    state: dict[str, Any] = field(default_factory=dict)
    until: datetime | None = None  # end of the current incident
    override: dict[str, Any] = field(default_factory=dict)


class FleetSimulator:
    def __init__(
        self,
        assets: Iterable[AssetInfo],
        seed: int | None = None,
        rates: dict[str, float] | None = None,
        periods: dict[str, int] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.rates = {**RATES, **(rates or {})}
        self.periods = {**PERIODS, **(periods or {})}
        self.devices: dict[str, Device] = {}
        self.by_kind: dict[str, list[Device]] = {}
        for a in assets:
            d = Device(a, _h(a.id) % self.periods.get(a.kind, 600))
            self.devices[a.id] = d
            self.by_kind.setdefault(a.kind, []).append(d)
        self.lights_of: dict[str, list[Device]] = {}
        for d in self.by_kind.get(STREETLIGHT, ()):
            if d.asset.cabinet:
                self.lights_of.setdefault(d.asset.cabinet, []).append(d)
        # kind -> phase second -> devices reporting at that second of their period
        self.buckets: dict[str, dict[int, list[Device]]] = {}
        for kind, devs in self.by_kind.items():
            b: dict[int, list[Device]] = {}
            for d in devs:
                b.setdefault(d.phase, []).append(d)
            self.buckets[kind] = b
        self.last: datetime | None = None
        self._sun: dict[date, tuple[datetime, datetime]] = {}
        self._weather_day: dict[date, float] = {}
        self.rain = 0.0
        self.wet_until: datetime | None = None

    # --- time ---------------------------------------------------------------------

    def step(self, now: datetime) -> list[Message]:
        """Messages due between the previous step and ``now`` (simulated time)."""
        out: list[Message] = []
        if self.last is None:
            self.last = now - timedelta(seconds=1)
        start = max(self.last, now - timedelta(seconds=max(self.periods.values())))
        dt = (now - start).total_seconds()
        if dt <= 0:
            return out
        self._weather(now, dt)
        self._incidents(now, dt, out)
        s0, s1 = int(start.timestamp()), int(now.timestamp())
        for kind, buckets in self.buckets.items():
            period = self.periods.get(kind, 600)
            for sec in range(s0 + 1, s1 + 1):
                for d in buckets.get(sec % period, ()):
                    msg = self._report(d, now)
                    if msg is not None:
                        out.append(msg)
        self.last = now
        return out

    def _sun_times(self, day: date) -> tuple[datetime, datetime]:
        if day not in self._sun:
            self._sun[day] = (sun.sunrise(day), sun.sunset(day))
        return self._sun[day]

    # --- incidents --------------------------------------------------------------------

    def _draw(self, kind: str, rate_name: str, dt: float) -> list[Device]:
        devs = self.by_kind.get(kind)
        if not devs:
            return []
        expected = len(devs) * self.rates[rate_name] * dt / 86400
        n = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
        return [self.rng.choice(devs) for _ in range(n)]

    def _incidents(self, now: datetime, dt: float, out: list[Message]) -> None:
        rng = self.rng
        for d in self._draw(STREETLIGHT, "lamp_failure", dt):
            if d.state.get("status", "ok") == "ok":
                d.state["status"] = rng.choices(
                    ["defectiveLamp", "brokenLantern", "columnIssue"], [80, 15, 5]
                )[0]
                d.until = now + timedelta(hours=rng.uniform(4, 48))
                out.append(self._light(d, now))
        for d in self._draw(CAMERA, "camera_offline", dt):
            if d.state.get("online", True):
                d.state["online"] = False
                d.until = now + timedelta(minutes=rng.uniform(5, 90))
                out.append((d.asset.id, self._camera(d, now)))
        for d in self._draw(CAMERA, "camera_recording", dt):
            if d.state.get("recording", True):
                d.state["recording"] = False  # the recorder's disk or process failed
                d.until = now + timedelta(minutes=rng.uniform(30, 240))
                out.append((d.asset.id, self._camera(d, now)))
        for d in self._draw(CAMERA, "camera_storage", dt):
            if d.state.get("storageUsage", 0.6) < 0.95:
                d.state["storageUsage"] = round(rng.uniform(0.96, 1.0), 3)  # purge job stopped
                d.until = now + timedelta(hours=rng.uniform(2, 12))
                out.append((d.asset.id, self._camera(d, now)))
        for d in self._draw(TRAFFIC_CONTROLLER, "controller_fault", dt):
            if not d.state.get("fault"):
                code = rng.choices([c[0] for c in CONTROLLER_FAULTS], [c[1] for c in CONTROLLER_FAULTS])[0]
                out.append(self.fail_controller(d.asset.id, code, now, rng.uniform(10, 120)))
        for d in self._draw(TRAFFIC_DETECTOR, "detector_congestion", dt):
            if not d.state.get("jam"):
                self.congest(d.asset.id, now, rng.uniform(20, 75))
        for d in self._draw(CABINET, "cabinet_door", dt):
            if not d.state.get("doorOpen"):
                d.state["doorOpen"] = True
                d.until = now + timedelta(minutes=rng.uniform(10, 60))
                out.append((d.asset.id, self._cabinet(d, now)))
        for d in self._draw(CABINET, "cabinet_power", dt):
            if not d.state.get("powerLost"):
                d.state["powerLost"] = True
                d.until = now + timedelta(minutes=rng.uniform(20, 120))
                out.append((d.asset.id, self._cabinet(d, now)))
        for d in self._draw(CABINET, "cabinet_overdraw", dt):
            if d.asset.id in self.lights_of and d.until is None:
                d.state["overdraw"] = round(rng.uniform(1.4, 1.8), 2)
                d.until = now + timedelta(hours=rng.uniform(6, 30))

    def fail_controller(self, asset_id: str, code: str, now: datetime, minutes: float) -> Message:
        """Put a controller in fault for ``minutes`` (random draws and scripted days)."""
        d = self.devices[asset_id]
        d.state.update(fault=True, faultCode=code)
        d.until = now + timedelta(minutes=minutes)
        return (asset_id, self._controller(d, now))

    def fail_camera(self, asset_id: str, fault: str, now: datetime, minutes: float) -> Message:
        """A camera's fault for ``minutes``: ``offline`` (no stream), ``recording`` (the recorder
        stopped) or ``storage`` (its storage full)."""
        d = self.devices[asset_id]
        change: dict[str, dict[str, Any]] = {
            "offline": {"online": False},
            "recording": {"recording": False},
            "storage": {"storageUsage": 0.99},
        }
        if fault not in change:
            raise ValueError(f"unknown camera fault {fault!r} ({', '.join(change)})")
        d.state.update(change[fault])
        d.until = now + timedelta(minutes=minutes)
        return (asset_id, self._camera(d, now))

    def congest(self, asset_id: str, now: datetime, minutes: float) -> None:
        """A queue over a detector for ``minutes``: occupancy high, speed low (an accident, a
        delivery lorry, a closed lane)."""
        d = self.devices[asset_id]
        d.state["jam"] = True
        d.until = now + timedelta(minutes=minutes)

    def _ended(self, d: Device, now: datetime) -> bool:
        if d.until is not None and now >= d.until:
            d.until = None
            return True
        return False

    # --- per kind -----------------------------------------------------------------------

    def _camera(self, d: Device, now: datetime) -> dict[str, Any]:
        state = d.state
        return {
            "ts": _iso(now),
            "online": state.get("online", True),
            "recording": state.get("recording", True),
            "storageUsage": state.setdefault("storageUsage", round(self.rng.uniform(0.55, 0.8), 3)),
        }

    def _report(self, d: Device, now: datetime) -> Message | None:
        kind = d.asset.kind
        ended = self._ended(d, now)
        if kind == STREETLIGHT:
            if ended:
                d.state["status"] = "ok"  # repaired by the maintenance crew
            return self._light(d, now)
        if kind == CAMERA:
            if ended:  # repaired: back online, recording, storage purged to its usual level
                d.state.update(
                    online=True, recording=True, storageUsage=round(self.rng.uniform(0.55, 0.8), 3)
                )
            return (d.asset.id, self._camera(d, now))
        if kind == TRAFFIC_CONTROLLER:
            if ended:
                d.state.update(fault=False, faultCode="")
            return (d.asset.id, self._controller(d, now))
        if kind == CABINET:
            if ended:
                d.state.update(doorOpen=False, powerLost=False, overdraw=1.0)
            return (d.asset.id, self._cabinet(d, now))
        if kind == TRAFFIC_DETECTOR:
            if ended:
                d.state["jam"] = False
            return (d.asset.id, self._detector(d, now))
        if kind == WEATHER_STATION:
            return (d.asset.id, self._station(d, now))
        if kind == VEHICLE:
            return (d.asset.id, self._vehicle(d, now))
        return None

    def target_level(self, d: Device, now: datetime) -> float:
        """Light output the schedule (or the last program/command) asks for at ``now``."""
        ov = d.override
        if ov.get("until") and now < ov["until"]:
            return float(ov["level"])
        prog = ov.get("program")
        jitter = timedelta(seconds=(_h(d.asset.id) % 240) - 120)  # photocells and clocks differ
        t = now - jitter
        if prog:
            level = 0.0
            for at, lvl in prog:
                if at <= t:
                    level = lvl
            if prog and t < prog[-1][0] + timedelta(hours=12):
                return level
        day = t.astimezone(UTC).date()
        rise, set_ = self._sun_times(day)
        if rise <= t < set_:
            return 0.0
        local = t.astimezone(PARIS)
        if local.hour < 5 and self._cut_at_night(d):
            return 0.0
        if local.hour >= 22 or local.hour < 5:
            return 0.7
        return 1.0

    def _cut_at_night(self, d: Device) -> bool:
        """Whether the light's cabinet cuts its circuits from midnight to 05:00."""
        cab = self.devices.get(d.asset.cabinet) if d.asset.cabinet else None
        return cab is not None and cab.asset.attributes.get("switchingMode") == "night-OFF"

    @staticmethod
    def _rated(d: Device) -> float:
        raw = d.asset.attributes.get("powerRating")
        return float(raw) if isinstance(raw, int | float) else (35, 50, 70, 100, 150)[_h(d.asset.id) % 5]

    def _light(self, d: Device, now: datetime) -> Message:
        status = d.state.get("status", "ok")
        level = self.target_level(d, now)
        rated = self._rated(d)
        if level <= 0:
            state, watts = "off", 0.4
        else:
            state = "low" if level < 1 else "on"
            watts = rated * level * (1 + self.rng.gauss(0, 0.02))
        if status == "defectiveLamp" and level > 0:
            watts = 2.0
        msg = {
            "ts": _iso(now),
            "powerState": state,
            "illuminanceLevel": round(level if status == "ok" else 0.0, 2),
            "powerConsumption": round(max(watts, 0.0), 1),
            "status": status,
        }
        return (d.asset.id, msg)

    def _controller(self, d: Device, now: datetime) -> dict[str, Any]:
        fault = bool(d.state.get("fault"))
        code = str(d.state.get("faultCode") or "") if fault else ""
        msg: dict[str, Any] = {
            "ts": _iso(now),
            "fault": fault,
            "faultCode": code,
            "operationMode": FAULT_MODES.get(code, "flashing") if fault else "normal",
            "timingPlan": timing_plan(now.astimezone(PARIS)),
        }
        local = now.astimezone(PARIS)
        in_service = local.hour >= 5 or local.hour < 1  # trams and buses run 05:00-01:00
        if d.asset.attributes.get("busPriority") and in_service and not fault and self.rng.random() < 0.35:
            line = self.rng.choice(PRIORITY_LINES)
            outcome = self.rng.choices(["granted", "extended", "refused", "cancelled"], [84, 6, 8, 2])[0]
            wait = self.rng.uniform(20, 60) if outcome == "refused" else self.rng.uniform(0, 8)
            msg["priorityRequest"] = {
                "line": line,
                "vehicleType": "tram" if line.startswith("T") else "bus",
                "outcome": outcome,
                "delaySeconds": round(wait, 1),
            }
        return msg

    def detector_history(
        self, times: Sequence[datetime]
    ) -> Iterator[tuple[str, datetime, float, float, float]]:
        """Every detector's (id, time, occupancy, speed, flow) for the periods ending at ``times``,
        in time order, with no jams: a past the city would import from its previous system. Drawn
        at once with numpy (the Dijon demo learns from about 900,000 counts)."""
        devices = self.by_kind.get(TRAFFIC_DETECTOR, [])
        period = self.periods[TRAFFIC_DETECTOR]
        shape = (len(times), len(devices))
        gen = np.random.default_rng(self.rng.getrandbits(64))
        share = np.array([daily_profile(t.astimezone(PARIS)) for t in times])
        peak = np.array([_peak_flow(d.asset.id) for d in devices], dtype=float)
        count, occupancy, speed = detector_draw(
            np.outer(share, peak) * period / 3600,
            period,
            lambda mean, sd: gen.normal(mean, sd, shape),
            lambda low, high: gen.uniform(low, high, shape),
        )
        ids = [d.asset.id for d in devices]
        rows = zip(times, count.tolist(), occupancy.round(3).tolist(), speed.round(1).tolist(), strict=True)
        for t, counts, occupancies, speeds in rows:
            for asset_id, n, occ, v in zip(ids, counts, occupancies, speeds, strict=True):
                yield asset_id, t, occ, v, n

    def _detector(self, d: Device, now: datetime) -> dict[str, Any]:
        period = self.periods[TRAFFIC_DETECTOR]
        expected = _peak_flow(d.asset.id) * daily_profile(now.astimezone(PARIS)) * period / 3600
        drawn = detector_draw(expected, period, self.rng.gauss, self.rng.uniform)
        count, occupancy, speed = int(drawn[0]), float(drawn[1]), float(drawn[2])
        if d.state.get("jam"):
            occupancy = self.rng.uniform(0.6, 0.9)
            speed = self.rng.uniform(3, 12)
            count = round(count * self.rng.uniform(0.3, 0.6))  # a queue lets few vehicles by
        return {
            "ts": _iso(now),
            "periodSeconds": period,
            "intensity": count,
            "occupancy": round(occupancy, 3),
            "averageVehicleSpeed": round(speed, 1),
        }

    def cabinet_watts(self, cabinet_id: str, now: datetime) -> float:
        """What a cabinet's lights draw at ``now`` (lamp and gear), before faults and noise."""
        watts = 0.0
        for light in self.lights_of.get(cabinet_id, ()):
            level = self.target_level(light, now)
            if level <= 0:
                continue
            rated = self._rated(light)
            if light.state.get("status", "ok") == "defectiveLamp":
                watts += 2.0
            else:
                watts += rated * gear_factor(light.asset.attributes.get("lampTechnology"), rated) * level
        return watts

    def _cabinet(self, d: Device, now: datetime) -> dict[str, Any]:
        lost = bool(d.state.get("powerLost"))
        rise, set_ = self._sun_times(now.astimezone(UTC).date())
        night = not (rise <= now < set_)
        e = d.state.get("energy", float(_h(d.asset.id) % 50_000))
        if d.asset.id in self.lights_of:
            lights = self.cabinet_watts(d.asset.id, now) * float(d.state.get("overdraw", 1.0))
            watts = 0.0 if lost else CABINET_OWN_WATTS + lights * (1 + self.rng.gauss(0, 0.01))
            night = lights > 0
        else:  # a cabinet without known lights: a plain 2.5 kW load at night
            watts = 0.0 if lost or not night else 2500 + self.rng.gauss(0, 50)
        # The meter counts what was drawn since the last message (events report between periods).
        last = d.state.get("energy_at")
        seconds = (now - last).total_seconds() if last is not None else self.periods[CABINET]
        e += watts / 1000 * min(max(seconds, 0.0), 2 * self.periods[CABINET]) / 3600
        d.state["energy"] = e
        d.state["energy_at"] = now
        return {
            "ts": _iso(now),
            "powerState": "on" if night and not lost else "off",
            "workingMode": "automatic",
            "voltage": 0.0 if lost else round(230 + self.rng.gauss(0, 2), 1),
            "powerConsumption": round(max(watts, 0), 1),
            "energyConsumed": round(e, 2),
            "doorOpen": bool(d.state.get("doorOpen")),
        }

    # --- weather ---------------------------------------------------------------------------

    def _weather(self, now: datetime, dt: float) -> None:
        # Rain comes and goes: a two-state Markov chain, a few hours per episode.
        if self.rain > 0:
            if self.rng.random() < dt / (3 * 3600):
                self.rain = 0.0
                self.wet_until = now + timedelta(hours=3)
        elif self.rng.random() < dt / (30 * 3600):
            self.rain = round(self.rng.uniform(0.2, 4.0), 1)

    def air_temperature(self, now: datetime) -> float:
        local = now.astimezone(PARIS)
        day = local.date()
        if day not in self._weather_day:
            self._weather_day[day] = self.rng.gauss(0, 3.0)  # the day's weather regime
        mean = MONTHLY_MEAN_C[local.month - 1] + self._weather_day[day]
        # Coldest just before sunrise, warmest mid-afternoon.
        hours = local.hour + local.minute / 60
        return mean + 5.0 * math.cos((hours - 15) / 24 * 2 * math.pi)

    def _station(self, d: Device, now: datetime) -> dict[str, Any]:
        offset = ((_h(d.asset.id) % 140) - 70) / 100  # exposure: ±0.7 °C between stations
        air = self.air_temperature(now) + offset
        rise, set_ = self._sun_times(now.astimezone(UTC).date())
        night = not (rise <= now < set_)
        surface = air - 1.5 if night else air + 2.0 + 4.0 * (now.month in (5, 6, 7, 8))
        surface += self.rng.gauss(0, 0.2)
        if self.rain > 0:
            status = "snow" if air < 0.5 else ("slush" if air < 1.5 else "wet")
        elif self.wet_until and now < self.wet_until:
            status = "ice" if surface <= 0 else "moist"
        elif surface <= 0 and night and self.rng.random() < 0.3:
            status = "frost"
        else:
            status = "dry"
        return {
            "ts": _iso(now),
            "airTemperature": round(air, 1),
            "surfaceTemperature": round(surface, 1),
            "surfaceStatus": status,
            "precipitation": self.rain,
            "relativeHumidity": 0.95 if self.rain else round(0.6 + 0.3 * night, 2),
        }

    def drive(
        self, asset_id: str, path: list[tuple[float, float]], salting: bool = True, speed_kmh: float = 35.0
    ) -> None:
        """Send a vehicle along ``path`` (lon, lat), salting (dosage 15 g/m² over 6 m) or not;
        it goes back and forth until told otherwise (``drive(asset_id, [])`` frees it)."""
        d = self.devices[asset_id]
        path = [p for i, p in enumerate(path) if i == 0 or p != path[i - 1]]
        if len(path) < 2:
            d.state.pop("path", None)
            return
        d.state.update(path=list(path), at=0, offset=0.0, salting=salting, speed=speed_kmh)
        d.state["long"], d.state["lat"] = path[0]

    def _follow(self, d: Device, now: datetime) -> dict[str, Any]:
        st = d.state
        path: list[tuple[float, float]] = st["path"]
        speed = st["speed"] * self.rng.uniform(0.85, 1.1)
        left = speed / 3.6 * self.periods[VEHICLE]
        i, off = st["at"], st["offset"]
        while True:
            if i + 1 >= len(path):  # end of the circuit: back the other way
                path.reverse()
                i, off = 0, 0.0
            (x0, y0), (x1, y1) = path[i], path[i + 1]
            dx = (x1 - x0) * 111_320 * math.cos(math.radians(y0))
            dy = (y1 - y0) * 111_320
            seg = math.hypot(dx, dy)
            if seg - off > left:
                off += left
                break
            left -= seg - off
            i, off = i + 1, 0.0
        f = off / seg if seg else 0.0
        lon, lat = x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
        heading = math.degrees(math.atan2(dx, dy)) % 360
        st.update(at=i, offset=off, long=lon, lat=lat, heading=heading)
        msg: dict[str, Any] = {
            "ts": _iso(now),
            "location": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "speed": round(speed, 1),
            "heading": round(heading, 0),
            "activity": "salting" if st["salting"] else "driving",
        }
        if st["salting"]:
            msg.update(spreadRate=15.0, spreadWidth=6.0)
        return msg

    def _vehicle(self, d: Device, now: datetime) -> dict[str, Any]:
        st = d.state
        if st.get("path"):
            return self._follow(d, now)
        if "lat" not in st:
            st["lat"] = d.asset.lat or 47.322 + self.rng.uniform(-0.03, 0.03)
            st["long"] = d.asset.long or 5.041 + self.rng.uniform(-0.04, 0.04)
            st["heading"] = self.rng.uniform(0, 360)
        local = now.astimezone(PARIS)
        working = 6 <= local.hour < 20
        winter_night = local.month in (11, 12, 1, 2, 3) and not working
        moving = (working or winter_night) and self.rng.random() < 0.8
        speed = self.rng.uniform(10, 45) if moving else 0.0
        st["heading"] = (st["heading"] + self.rng.gauss(0, 25)) % 360
        dist = speed / 3.6 * self.periods[VEHICLE]
        h = math.radians(st["heading"])
        st["lat"] += dist * math.cos(h) / 111_320
        st["long"] += dist * math.sin(h) / (111_320 * math.cos(math.radians(st["lat"])))
        # Keep the fleet within the metropolis.
        if abs(st["lat"] - 47.322) > 0.05 or abs(st["long"] - 5.041) > 0.08:
            st["heading"] = (st["heading"] + 180) % 360
        if not moving:
            activity = "parked"
        elif winter_night:
            activity = "salting"
        else:
            activity = ["driving", "sweeping", "collecting", "patrolling"][_h(d.asset.id) % 4]
        return {
            "ts": _iso(now),
            "location": {"type": "Point", "coordinates": [round(st["long"], 6), round(st["lat"], 6)]},
            "speed": round(speed, 1),
            "heading": round(st["heading"], 0),
            "activity": activity,
        }

    # --- commands ------------------------------------------------------------------------

    def on_command(self, asset_id: str, cmd: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Apply a command and return the acknowledgement the device sends back."""
        ack: dict[str, Any] = {"id": str(cmd.get("id", "")), "ts": _iso(now)}
        d = self.devices.get(asset_id)
        if d is None or d.asset.kind != STREETLIGHT:
            return {**ack, "status": "unsupported", "detail": "not a street light"}
        action = cmd.get("action")
        try:
            if action == "switch":
                level = 1.0 if cmd["powerState"] == "on" else 0.0
                d.override.update(level=level, until=now + timedelta(hours=1))
            elif action == "dim":
                d.override.update(level=float(cmd["level"]), until=now + timedelta(hours=1))
            elif action == "program":
                prog = cmd["program"]
                steps = sorted((datetime.fromisoformat(s["at"]), float(s["level"])) for s in prog["steps"])
                d.override = {"program": steps}
            else:
                return {**ack, "status": "unsupported", "detail": f"unknown action {action!r}"}
        except (KeyError, TypeError, ValueError) as exc:
            return {**ack, "status": "error", "detail": f"bad command: {exc}"[:200]}
        return {**ack, "status": "ok"}
