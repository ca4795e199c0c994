"""The Dijon Métropole demo fleet: lights, cabinets, cameras, signals, stations, vehicles.

Counts follow the Métropole's public figures (34,000 light points of which
more than 20,000 LED, 269 video-protection cameras, 113 traffic lights with bus
priority, 205 geolocated vehicles); everything else (positions, wattages,
dates, meters, plates) is invented but plausible. The fleet is deterministic
(seeded) and every fixed asset lies inside its commune's polygon: cabinets are
drawn around each commune's centre, and each cabinet feeds one to three street
sectors (light groups such as ``21231-G012``) of lights spaced 22 to 35 m
apart on both sides of the street.

Idempotent: assets whose id exists are left alone, so running it again
creates nothing. Rows are written with bulk inserts in large batches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import insert, select

from vigie.assets.domain import AUTHORISATION_YEARS, add_years
from vigie.assets.storage import AssetRow
from vigie.city.zones import Zone
from vigie.db import utcnow
from vigie.errors import Forbidden
from vigie.runtime import Vigie

SEED = 21_2019
REFERENCE_DATE = date(2026, 11, 1)  # "today" of the demo: keeps the fleet deterministic
LIGHTS = 34_000
LED_LIGHTS = 20_400
CABINETS = 1_100
CAMERAS = 269
SIGNAL_CONTROLLERS = 113
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


def _split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` shared by weight, largest remainders first (sums exactly to ``total``)."""
    wsum = sum(weights.values())
    raw = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(math.floor(x)) for k, x in raw.items()}
    for k in sorted(raw, key=lambda k: (raw[k] - out[k], k), reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


def _day(rng: np.random.Generator, start: date, end: date) -> str:
    return (start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))).isoformat()


def _plate(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHJKLMNPQRSTVWXYZ"  # SIV plates leave out I, O and U
    a = "".join(letters[int(i)] for i in rng.integers(0, len(letters), 4))
    return f"{a[:2]}-{int(rng.integers(1, 1000)):03d}-{a[2:]}"


def _zone_code(code: str) -> str:
    return code.zfill(6) if code.isdigit() else code


class FleetBuilder:
    def __init__(self, v: Vigie) -> None:
        self.v = v
        self.rng = np.random.default_rng(SEED)
        self.zones = {z.code: z for z in v.city.zones.zones}
        self.samplers: dict[str, Sampler] = {}
        self.rows: list[dict[str, Any]] = []
        self.now = utcnow()
        self._cabinet_pending: list[tuple[str, str, tuple[float, float], list[str]]] = []

    def sampler(self, code: str) -> Sampler:
        if code not in self.samplers:
            zone = self.zones[code]
            center: tuple[float, float] | None = None
            city_center = self.v.city.center
            if city_center and zone.contains(city_center["lat"], city_center["long"]):
                center = (city_center["long"], city_center["lat"])
            if center is None:
                p = zone.geometry.representative_point()
                c = zone.geometry.centroid
                center = (c.x, c.y) if zone.geometry.contains(c) else (p.x, p.y)
            population = POPULATION.get(code, BASE_POPULATION)
            self.samplers[code] = Sampler(zone, self.rng, center, population)
        return self.samplers[code]

    def add(
        self,
        id_: str,
        type_: str,
        xy: tuple[float, float],
        zone: str,
        attributes: dict[str, Any],
        *,
        name: str = "",
        group: str = "",
        status: str = "in_service",
        installed_on: str | None = None,
        links: dict[str, str] | None = None,
    ) -> None:
        self.rows.append(
            {
                "id": id_,
                "type": type_,
                "name": name,
                "lat": float(xy[1]),
                "long": float(xy[0]),
                "zone": zone,
                "status": status,
                "group": group,
                "installed_on": date.fromisoformat(installed_on) if installed_on else None,
                "attributes": attributes,
                "links": links or {},
                "parent_id": None,
                "external_id": None,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )

    # --- street lights and cabinets --------------------------------------

    def lighting(self) -> None:
        codes = sorted(self.zones)
        weights = {c: POPULATION.get(c, self.zones[c].geometry.area * 1e6) + BASE_POPULATION for c in codes}
        lights_by_zone = _split(LIGHTS, weights)
        cabinets_by_zone = _split(CABINETS - len(codes), {c: lights_by_zone[c] for c in codes})
        # Every commune has at least one cabinet.
        sectors: list[dict[str, Any]] = []  # one per light group
        cab_no = 0
        for code in codes:
            sampler = self.sampler(code)
            n_cab = cabinets_by_zone[code] + 1
            lights = lights_by_zone[code]
            centers = sampler.around_center(n_cab)
            per_cab = [lights // n_cab + (1 if i < lights % n_cab else 0) for i in range(n_cab)]
            group_no = 0
            light_no = 0
            for (cx, cy), count in zip(centers, per_cab, strict=True):
                cab_no += 1
                cab_id = f"CAB-{cab_no:04d}"
                streets = 1 + (count > 14) + (count > 32)
                split = [count // streets + (1 if i < count % streets else 0) for i in range(streets)]
                groups: list[str] = []
                for n in split:
                    if n == 0:
                        continue
                    group_no += 1
                    group = f"{code}-G{group_no:03d}"
                    groups.append(group)
                    xy = self._street(sampler, cx, cy, n)
                    ids = [f"SL-{_zone_code(code)}-{light_no + i + 1:05d}" for i in range(n)]
                    light_no += n
                    sectors.append({"zone": code, "cabinet": cab_id, "group": group, "xy": xy, "ids": ids})
                self._cabinet_pending.append((cab_id, code, (float(cx), float(cy)), groups))
        self._assign_lamps(sectors)

    def _street(self, sampler: Sampler, cx: float, cy: float, n: int) -> np.ndarray:
        """``n`` light positions along a street leaving from near the cabinet."""
        rng = self.rng
        k = sampler.k
        theta = rng.uniform(0, 2 * math.pi)
        spacing = rng.uniform(22, 35)
        start = rng.uniform(5, 40)
        j = np.arange(n)
        along = start + j * spacing / 2  # both sides: two rows at half the spacing
        side = np.where(j % 2 == 0, 1.0, -1.0) * rng.uniform(6, 9)
        bend = rng.normal(0, 0.002)  # a gently curving street
        ang = theta + bend * along
        dx = along * np.cos(ang) - side * np.sin(ang) + rng.normal(0, 1.5, n)
        dy = along * np.sin(ang) + side * np.cos(ang) + rng.normal(0, 1.5, n)
        x = np.round(cx + dx / (M_PER_DEG * k), 6)
        y = np.round(cy + dy / M_PER_DEG, 6)
        keep = sampler.inside(x, y)
        if not keep.all():
            missing = int((~keep).sum())
            fill = sampler.near(cx, cy, 150.0, missing)
            x[~keep], y[~keep] = fill[:, 0], fill[:, 1]
        return np.column_stack([x, y])

    def _assign_lamps(self, sectors: list[dict[str, Any]]) -> None:
        rng = self.rng
        order = rng.permutation(len(sectors))
        led_left = LED_LIGHTS
        power_by_cab: dict[str, float] = {}
        statuses = [s for s, _ in LIGHT_STATUSES]
        status_p = np.array([p for _, p in LIGHT_STATUSES])
        status_p = status_p / status_p.sum()
        legacy_p = np.array([w for _, w, _, _ in LEGACY])
        for idx in order:
            sector = sectors[int(idx)]
            n = len(sector["ids"])
            led_n = min(n, led_left)
            led_left -= led_n
            installed = _day(rng, date(1972, 1, 1), date(2017, 12, 31))
            # One technology and power per street; LED conversions since 2018.
            legacy = LEGACY[int(rng.choice(len(LEGACY), p=legacy_p))]
            legacy_w = int(rng.choice(legacy[2], p=legacy[3]))
            led_w = int(rng.choice(LED_POWERS[0], p=LED_POWERS[1]))
            led_day = _day(rng, date(2018, 1, 1), date(2026, 6, 30))
            cct = int(rng.choice((2700, 3000, 4000), p=(0.25, 0.7, 0.05)))
            status_draw = rng.choice(len(statuses), size=n, p=status_p)
            relamp = rng.integers(0, (REFERENCE_DATE - date(2016, 1, 1)).days, n)
            for i in range(n):
                if i < led_n:
                    tech, watts = "LED", led_w
                    attrs: dict[str, Any] = {
                        "lampTechnology": "LED",
                        "powerRating": led_w,
                        "lanternHeight": _height(watts, True, rng),
                        "dateLastLampChange": led_day,
                        "colorTemperature": cct,
                    }
                else:
                    tech, watts = legacy[0], legacy_w
                    attrs = {
                        "lampTechnology": tech,
                        "powerRating": watts,
                        "lanternHeight": _height(watts, False, rng),
                        "dateLastLampChange": (date(2016, 1, 1) + timedelta(days=int(relamp[i]))).isoformat(),
                    }
                power_by_cab[sector["cabinet"]] = power_by_cab.get(sector["cabinet"], 0.0) + watts
                self.add(
                    sector["ids"][i],
                    "street_light",
                    (sector["xy"][i][0], sector["xy"][i][1]),
                    sector["zone"],
                    attrs,
                    group=sector["group"],
                    status=statuses[int(status_draw[i])],
                    installed_on=installed,
                    links={"refStreetlightControlCabinet": sector["cabinet"]},
                )
        for cab_id, code, (cx, cy), groups in self._cabinet_pending:
            load_w = power_by_cab.get(cab_id, 0.0)
            # Lamp + ballast (about +25 % on legacy lamps) over a 0.9 power factor.
            needed = load_w * 1.25 / 0.9 / 1000
            kva = next((t for t in KVA_TIERS if t >= needed * 1.2), KVA_TIERS[-1])
            mode = str(rng.choice(("automatic", "semiautomatic", "manual"), p=(0.9, 0.07, 0.03)))
            switching = "night-LOW" if code in NIGHT_LOW else "night-OFF" if code in NIGHT_OFF else "night-ON"
            self.add(
                cab_id,
                "control_cabinet",
                (cx, cy),
                code,
                {
                    "workingMode": mode,
                    "maximumPowerAvailable": kva,
                    "meterId": f"{int(rng.integers(10**13, 10**14 - 1))}",
                    "refStreetlightGroup": groups,
                    "cupboardMadeOf": str(rng.choice(("metal", "plastic", "concrete"), p=(0.55, 0.35, 0.1))),
                    "switchingMode": switching,
                },
                name=f"Armoire {cab_id[4:]} — {self.zones[code].name}",
                installed_on=_day(rng, date(1985, 1, 1), date(2024, 12, 31)),
            )

    # --- other equipment --------------------------------------------------

    def cameras(self) -> None:
        rng = self.rng
        n = 0
        for code, count in self._present(CAMERAS_BY_ZONE, CAMERAS).items():
            for xy in self.sampler(code).around_center(count, spread=0.6, uniform_share=0.05):
                n += 1
                authorised = date.fromisoformat(
                    _day(rng, REFERENCE_DATE - timedelta(days=5 * 365 - 30), REFERENCE_DATE)
                )
                expiry = add_years(authorised, AUTHORISATION_YEARS)  # 29 February: 28 February
                self.add(
                    f"CAM-{n:04d}",
                    "camera",
                    (xy[0], xy[1]),
                    code,
                    {
                        "cameraType": "ptz" if rng.random() < 0.3 else "fixed",
                        "authorisationReference": f"AP-{authorised.year}-{int(rng.integers(1, 900)):04d}",
                        "authorisationDate": authorised.isoformat(),
                        "authorisationExpiry": expiry.isoformat(),
                        "retentionDays": int(rng.choice((15, 21, 30), p=(0.3, 0.1, 0.6))),
                        "privacyMasking": True,
                        "signage": True,
                        "brandName": str(rng.choice(("Axis", "Bosch", "Hanwha Vision"))),
                    },
                    name=f"Caméra {n:03d} — {self.zones[code].name}",
                    installed_on=authorised.isoformat(),
                )

    def signals(self) -> None:
        rng = self.rng
        n = 0
        for code, count in self._present(SIGNALS_BY_ZONE, SIGNAL_CONTROLLERS).items():
            for xy in self.sampler(code).around_center(count, spread=0.7, uniform_share=0.05):
                n += 1
                self.add(
                    f"TLC-{n:03d}",
                    "traffic_signal_controller",
                    (xy[0], xy[1]),
                    code,
                    {
                        "busPriority": True,  # the Métropole's 113 signals all give it
                        "numberOfSignalGroups": int(rng.integers(3, 13)),
                        "pedestrianCrossing": bool(rng.random() < 0.9),
                        "brandName": str(rng.choice(("Lacroix City", "Aximum", "Fareco"))),
                    },
                    name=f"Carrefour à feux {n:03d} — {self.zones[code].name}",
                    installed_on=_day(rng, date(1995, 1, 1), date(2024, 12, 31)),
                )

    def weather_stations(self) -> None:
        rng = self.rng
        sites = [s for s in WEATHER_STATION_SITES if s[0] in self.zones]
        sites = sites or [(sorted(self.zones)[0], "Station")]
        for n in range(1, WEATHER_STATIONS + 1):
            code, road = sites[(n - 1) % len(sites)]
            xy = self.sampler(code).around_center(1, spread=0.8, uniform_share=0.0)[0]
            self.add(
                f"RWS-{n:02d}",
                "road_weather_station",
                (xy[0], xy[1]),
                code,
                {
                    "controlledProperty": [
                        "temperature",
                        "roadSurfaceTemperature",
                        "relativeHumidity",
                        "precipitation",
                        "roadSurfaceState",
                        "dewPoint",
                    ],
                    "roadName": road,
                    "brandName": "Vaisala",
                },
                name=f"Station météo routière {n:02d} — {road}",
                installed_on=_day(rng, date(2012, 1, 1), date(2022, 12, 31)),
            )

    def vehicles(self) -> None:
        rng = self.rng
        depots = [d for d in DEPOTS if d[0] in self.zones] or [(sorted(self.zones)[0], "Dépôt")]
        depot_xy = {
            name: self.sampler(code).around_center(1, spread=0.5, uniform_share=0.0)[0]
            for code, name in depots
        }
        n = 0
        for role, count, vtype, services in VEHICLE_PLAN:
            for _ in range(count):
                n += 1
                code, depot = depots[int(rng.integers(0, len(depots)))]
                x0, y0 = depot_xy[depot]
                xy = self.sampler(code).near(float(x0), float(y0), 40.0, 1)[0]
                self.add(
                    f"VEH-{n:03d}",
                    "vehicle",
                    (xy[0], xy[1]),
                    code,
                    {
                        "vehicleRole": role,
                        "vehicleType": vtype,
                        "serviceProvided": list(services),
                        "vehiclePlateIdentifier": _plate(rng),
                        "depot": depot,
                    },
                    name=f"{_ROLE_NAMES[role]} {n:03d}",
                    installed_on=_day(rng, date(2012, 1, 1), date(2026, 6, 30)),
                )

    def _present(self, wanted: dict[str, int], total: int) -> dict[str, int]:
        """The per-commune counts, moved to the largest commune for absent communes."""
        out = {c: n for c, n in wanted.items() if c in self.zones}
        missing = total - sum(out.values())
        if missing:
            biggest = max(self.zones, key=lambda c: self.zones[c].geometry.area)
            out[biggest] = out.get(biggest, 0) + missing
        return out

    def build(self) -> list[dict[str, Any]]:
        self.lighting()
        self.cameras()
        self.signals()
        self.weather_stations()
        self.vehicles()
        return self.rows


_ROLE_NAMES = {
    "snow_plough": "Chasse-neige",
    "salt_spreader": "Saleuse",
    "patrol": "Patrouille",
    "maintenance": "Véhicule d'intervention",
}


def _height(watts: int, led: bool, rng: np.random.Generator) -> float:
    """Lantern height (m) that goes with a lamp's power."""
    equivalent = watts * 2.2 if led else watts  # an LED lights like ~2x its power in sodium
    if equivalent <= 75:
        low, high = 4.0, 6.0
    elif equivalent <= 110:
        low, high = 6.0, 8.0
    elif equivalent <= 160:
        low, high = 8.0, 10.0
    else:
        low, high = 10.0, 12.0
    return float(round(rng.uniform(low, high) * 2) / 2)


def build_demo_fleet(v: Vigie) -> list[dict[str, Any]]:
    """The rows of the demo fleet (not written), for tests and benchmarks."""
    return FleetBuilder(v).build()


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def load_demo_fleet(v: Vigie, progress: bool = False) -> list[str]:
    """Create the demo fleet (skipping assets already present); returns summary lines."""
    if v.settings.environment == "production":
        raise Forbidden("the demo fleet cannot be loaded in production")
    started = time.perf_counter()
    rows = build_demo_fleet(v)
    with v.db.session() as s:
        existing = set(s.scalars(select(AssetRow.id)))
    todo = [r for r in rows if r["id"] not in existing]
    from rich.progress import Progress

    with Progress(transient=False, disable=not progress) as bar:
        task = bar.add_task("Dijon demo fleet", total=len(todo))
        for chunk in _batches(todo, BATCH):
            with v.db.session(write=True) as s:
                s.execute(insert(AssetRow), chunk)
                s.commit()
            bar.update(task, advance=len(chunk))
    counts: dict[str, int] = {}
    for r in todo:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    elapsed = time.perf_counter() - started
    if not todo:
        return [f"demo assets: all {len(rows)} already present"]
    detail = ", ".join(f"{n} {t}" for t, n in counts.items())
    return [f"demo assets: {len(todo)} created in {elapsed:.1f} s ({detail})"]


__all__ = ["load_demo_fleet", "build_demo_fleet", "LIGHTS", "LED_LIGHTS", "CABINETS"]
