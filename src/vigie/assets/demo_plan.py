"""What the Dijon demo fleet is drawn from: counts, per-commune plans, and the sampling.

The figures (light points, cameras, traffic lights, vehicles) are the
Métropole's public ones; the per-commune shares, wattages and tiers are
plausible inventions. :class:`Sampler` draws points inside a commune's polygon
(numpy + shapely in bulk); :mod:`vigie.assets.demo` builds the fleet from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import shapely

from vigie.city.zones import Zone

SEED = 21_2019
REFERENCE_DATE = date(2026, 11, 1)  # "today" of the demo: keeps the fleet deterministic
LIGHTS = 34_000
LED_LIGHTS = 20_400
CABINETS = 1_100
CAMERAS = 269
SIGNAL_CONTROLLERS = 113
DETECTORS_PER_JUNCTION = 2  # counting loops on two approaches (an invented but usual set-up)
WEATHER_STATIONS = 6
VEHICLES = 205
BATCH = 5_000
M_PER_DEG = 111_320.0

# Population of the communes (INSEE, rounded): lights and cabinets follow it,
# plus a base per commune (small communes have more light points per person).
POPULATION = {
    "21231": 158_000,  # Dijon
    "21166": 14_000,  # Chenôve
    "21171": 11_500,  # Chevigny-Saint-Sauveur
    "21617": 11_000,  # Talant
    "21515": 9_700,  # Quetigny
    "21278": 9_200,  # Fontaine-lès-Dijon
    "21355": 9_000,  # Longvic
    "21540": 7_600,  # Saint-Apollinaire
    "21390": 5_300,  # Marsannay-la-Côte
    "21452": 2_900,  # Neuilly-Crimolois
    "21485": 2_800,  # Plombières-lès-Dijon
    "21605": 2_200,  # Sennecey-lès-Dijon
    "21481": 1_800,  # Perrigny-lès-Dijon
    "21263": 1_700,  # Fénay
    "21223": 1_500,  # Daix
    "21473": 1_500,  # Ouges
    "21003": 1_300,  # Ahuy
    "21315": 1_200,  # Hauteville-lès-Dijon
    "21105": 1_000,  # Bressey-sur-Tille
    "21106": 900,  # Bretenière
    "21370": 900,  # Magny-sur-Tille
    "21192": 620,  # Corcelles-les-Monts
    "21270": 180,  # Flavignerot
}
BASE_POPULATION = 1_000
# Light flux lowered at night in Dijon and Quetigny; a few communes switch off
# from midnight to 05:00 (which ones is illustrative).
NIGHT_LOW = {"21231", "21515"}
NIGHT_OFF = {"21270", "21192", "21105", "21370"}
CAMERAS_BY_ZONE = {
    "21231": 200,
    "21166": 15,
    "21515": 10,
    "21355": 10,
    "21617": 8,
    "21171": 8,
    "21540": 8,
    "21278": 5,
    "21390": 5,
}
SIGNALS_BY_ZONE = {
    "21231": 95,
    "21166": 4,
    "21617": 3,
    "21515": 3,
    "21355": 3,
    "21540": 3,
    "21171": 2,
}
WEATHER_STATION_SITES = [
    ("21231", "Dijon centre — boulevard de ceinture"),
    ("21617", "Plateau de Talant"),
    ("21485", "A38 — entrée ouest de Dijon"),
    ("21540", "Rocade est (RN274)"),
    ("21355", "Rocade sud (RN274)"),
    ("21278", "LiNO (RN274) — Fontaine-lès-Dijon"),
]
DEPOTS = [
    ("21231", "Centre technique municipal de Dijon"),
    ("21355", "Centre d'exploitation voirie de Longvic"),
    ("21540", "Centre de viabilité hivernale de Saint-Apollinaire"),
    ("21166", "Centre d'exploitation de Chenôve"),
]
# (role, count, vehicleType, serviceProvided)
VEHICLE_PLAN = [
    ("snow_plough", 25, "lorry", ["winterMaintenance"]),
    ("salt_spreader", 20, "lorry", ["winterMaintenance"]),
    ("patrol", 60, "car", ["municipalServices"]),
    ("maintenance", 40, "van", ["maintenance"]),
    ("maintenance", 30, "constructionOrMaintenanceVehicle", ["streetLighting"]),
    ("maintenance", 30, "van", ["roadSignalling"]),
]

# Lamp technologies other than LED, with their rated powers (W) and weights.
LEGACY = [
    ("HPS", 0.78, (70, 100, 150, 250), (0.34, 0.36, 0.2, 0.1)),
    ("MH", 0.17, (70, 150), (0.6, 0.4)),
    ("MV", 0.05, (125, 250), (0.8, 0.2)),
]
LED_POWERS = ((20, 25, 30, 40, 50, 60, 75, 90), (0.1, 0.14, 0.2, 0.18, 0.14, 0.11, 0.08, 0.05))
LIGHT_STATUSES = (
    ("in_service", 0.984),
    ("out_of_service", 0.007),
    ("maintenance", 0.006),
    ("planned", 0.002),
    ("removed", 0.001),
)
KVA_TIERS = (3, 6, 9, 12, 15, 18, 24, 30, 36, 42, 48, 60)


@dataclass
class Sampler:
    """Points inside one commune, drawn with numpy and tested with shapely in bulk."""

    zone: Zone
    rng: np.random.Generator
    center: tuple[float, float]  # long, lat
    population: float

    def __post_init__(self) -> None:
        self.geom = self.zone.geometry
        shapely.prepare(self.geom)
        minx, miny, maxx, maxy = self.geom.bounds
        self.bounds = (minx, miny, maxx, maxy)
        self.k = math.cos(math.radians(self.center[1]))
        # Spread of the built-up area: grows with the population (a village of
        # 1,000 people: about 250 m; Dijon: about 2 km), bounded by the commune.
        area_m2 = self.geom.area * M_PER_DEG * M_PER_DEG * self.k
        radius = math.sqrt(area_m2 / math.pi)
        self.sigma_m = max(250.0, min(6.5 * math.sqrt(self.population), 0.6 * radius))

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(shapely.contains_xy(self.geom, x, y))

    def around_center(self, n: int, spread: float = 1.0, uniform_share: float = 0.1) -> np.ndarray:
        """``n`` points (long, lat): mostly near the centre, some anywhere in the commune."""
        out = np.empty((0, 2))
        while len(out) < n:
            m = max(64, 2 * (n - len(out)))
            gauss = self.rng.random(m) >= uniform_share
            sx = self.sigma_m * spread / (M_PER_DEG * self.k)
            sy = self.sigma_m * spread / M_PER_DEG
            x = np.where(
                gauss,
                self.center[0] + self.rng.normal(0, sx, m),
                self.rng.uniform(self.bounds[0], self.bounds[2], m),
            )
            y = np.where(
                gauss,
                self.center[1] + self.rng.normal(0, sy, m),
                self.rng.uniform(self.bounds[1], self.bounds[3], m),
            )
            x, y = np.round(x, 6), np.round(y, 6)
            keep = self.inside(x, y)
            out = np.vstack([out, np.column_stack([x[keep], y[keep]])])
        return out[:n]

    def near(self, x0: float, y0: float, radius_m: float, n: int) -> np.ndarray:
        """``n`` points within ``radius_m`` of (x0, y0), inside the commune."""
        out = np.empty((0, 2))
        r = radius_m
        while len(out) < n:
            m = max(16, 3 * (n - len(out)))
            ang = self.rng.uniform(0, 2 * math.pi, m)
            dist = r * np.sqrt(self.rng.random(m))
            x = np.round(x0 + dist * np.cos(ang) / (M_PER_DEG * self.k), 6)
            y = np.round(y0 + dist * np.sin(ang) / M_PER_DEG, 6)
            keep = self.inside(x, y)
            out = np.vstack([out, np.column_stack([x[keep], y[keep]])])
            r = max(5.0, r * 0.7)  # close to a border: come closer to the (inside) origin
        return out[:n]


def split_total(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` shared by weight, largest remainders first (sums exactly to ``total``)."""
    wsum = sum(weights.values())
    raw = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(math.floor(x)) for k, x in raw.items()}
    for k in sorted(raw, key=lambda k: (raw[k] - out[k], k), reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


def random_day(rng: np.random.Generator, start: date, end: date) -> str:
    return (start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))).isoformat()


def random_plate(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHJKLMNPQRSTVWXYZ"  # SIV plates leave out I, O and U
    a = "".join(letters[int(i)] for i in rng.integers(0, len(letters), 4))
    return f"{a[:2]}-{int(rng.integers(1, 1000)):03d}-{a[2:]}"


def zone_code(code: str) -> str:
    return code.zfill(6) if code.isdigit() else code


ROLE_NAMES = {
    "snow_plough": "Chasse-neige",
    "salt_spreader": "Saleuse",
    "patrol": "Patrouille",
    "maintenance": "Véhicule d'intervention",
}


def lantern_heights(watts: int, led: bool, rng: np.random.Generator, n: int) -> list[float]:
    """Heights (m) of ``n`` lanterns of one lamp power, to the half metre."""
    equivalent = watts * 2.2 if led else watts  # an LED lights like ~2x its power in sodium
    if equivalent <= 75:
        low, high = 4.0, 6.0
    elif equivalent <= 110:
        low, high = 6.0, 8.0
    elif equivalent <= 160:
        low, high = 8.0, 10.0
    else:
        low, high = 10.0, 12.0
    heights: list[float] = (np.round(rng.uniform(low, high, n) * 2) / 2).tolist()
    return heights
