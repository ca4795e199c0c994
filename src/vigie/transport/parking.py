"""Car parks and their occupancy: a configured list, live figures from a replayed recording.

The list (``transport_car_parks``, YAML: id, name, position, capacity and where
the capacity comes from) is the city's; occupancy comes from a recording of the
live availability feed (``transport_car_parks_replay``, CSV: datetime, car park
id, percentage), replayed on the same weekday and time of day as now, so the
demo's car parks fill in the morning and empty at night as they did.
"""

from __future__ import annotations

import csv
import threading
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.runtime import Vigie

_LOCK = threading.Lock()


@dataclass(frozen=True)
class CarPark:
    id: str
    name: str
    lat: float
    lon: float
    capacity: int | None
    capacity_source: str


@dataclass
class CarParks:
    parks: list[CarPark]
    # car park id -> (minutes since the recording's first Monday, percent), in time order
    series: dict[str, tuple[list[int], list[int]]]
    week_minutes: int = 7 * 24 * 60

    def occupancy(self, park_id: str, now: datetime) -> int | None:
        found = self.series.get(park_id)
        if not found:
            return None
        minutes, values = found
        at = (now.weekday() * 24 + now.hour) * 60 + now.minute
        i = bisect_right(minutes, at)
        return values[i - 1] if i > 0 else values[-1]


def load_car_parks(path: Path, replay: Path | None) -> CarParks:
    """The car parks of ``path``, with the recording of ``replay`` folded into one week."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            [ConfigProblem(str(path), None, "car_parks", f"cannot be read: {exc}")]
        ) from None
    parks: list[CarPark] = []
    for i, item in enumerate(data.get("car_parks") or []):
        try:
            capacity = item.get("capacity")
            parks.append(
                CarPark(
                    str(item["id"]),
                    str(item["name"]),
                    float(item["lat"]),
                    float(item["lon"]),
                    int(capacity) if capacity is not None else None,
                    str(item.get("capacity_source", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                [ConfigProblem(str(path), None, f"car_parks[{i}]", f"needs id, name, lat, lon ({exc})")]
            ) from None
    series: dict[str, tuple[list[int], list[int]]] = {}
    if replay is not None:
        week: dict[str, dict[int, int]] = {}
        with replay.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                try:
                    when = datetime.fromisoformat(row["datetime"])
                    percent = min(100, max(0, int(float(row["pourcentage"]))))
                except (KeyError, ValueError):
                    continue  # a broken line of the recording: the previous value stays
                minute = (when.weekday() * 24 + when.hour) * 60 + when.minute
                week.setdefault(row["parking"], {})[minute] = percent  # later weeks win
        for pid, values in week.items():
            keys = sorted(values)
            series[pid] = (keys, [values[k] for k in keys])
    return CarParks(parks, series)


def car_parks_of(v: Vigie) -> CarParks | None:
    s = v.settings
    if not s.transport_car_parks:
        return None
    found = v.caches.car_parks
    if found is None:
        with _LOCK:
            found = v.caches.car_parks
            if found is None:
                replay = (
                    Path(s.transport_car_parks_replay).expanduser() if s.transport_car_parks_replay else None
                )
                found = v.caches.car_parks = load_car_parks(Path(s.transport_car_parks).expanduser(), replay)
    return found


def car_parks_now(v: Vigie, now: datetime | None = None) -> list[dict[str, Any]]:
    parks = car_parks_of(v)
    if parks is None:
        return []
    local = (now or datetime.now().astimezone()).astimezone(v.city.timezone)
    out = []
    for p in parks.parks:
        percent = parks.occupancy(p.id, local)
        free = None if percent is None or p.capacity is None else round(p.capacity * (100 - percent) / 100)
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "lat": p.lat,
                "lon": p.lon,
                "capacity": p.capacity,
                "capacity_source": p.capacity_source,
                "occupancy": percent,
                "free": free,
            }
        )
    return out


__all__ = ["CarPark", "CarParks", "car_parks_now", "car_parks_of", "load_car_parks"]
