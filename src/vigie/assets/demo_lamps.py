"""The Dijon demo's lamps: today's luminaires, their history since installation, their photometry.

**The history is illustrative.** Only the programme's totals are Dijon's: 34,000
light points, about 3,000 LED when the programme started (2017), 10,000 two
years later, more than 20,000 today. The rest follows national orders of
magnitude:

- lamp mix before LED: ADEME's 2005 survey of French communes found 56 % sodium,
  30 % mercury vapour ("ballons fluo") and 14 % other sources, metal halide
  included; by 2015 about 900,000 mercury lamps were left among 9 million light
  points (10 %, Association française de l'éclairage, as reported by the Journal
  des communes), and their sale was banned in April 2015 (EU regulation
  245/2009). The demo's 2017 fleet has about 72 % sodium (HPS), 17 % metal
  halide (MH), 11 % mercury vapour (MV) besides its LED; conversions of
  2018-2019 took mercury first, as such programmes do.
- an LED replacing a discharge lamp draws about 35-45 % of the lamp's rated
  power (a 100 W sodium lantern by a 30-40 W LED head), saving 55-75 % once
  the ballast's losses are counted, as conversion programmes report.
- photometry: nominal fluxes of common lamps (sodium 70 W about 6,600 lm,
  100 W 10,700 lm, 150 W 17,500 lm, 250 W 33,000 lm; metal halide 70 W
  6,500 lm, 150 W 14,000 lm; mercury 125 W 6,200 lm, 250 W 12,700 lm) from
  manufacturers' catalogues; LED heads at 110-140 lm/W; upward light ratio 0 %
  for flat-glass LED heads, 1-5 % for older road lanterns, above 50 % for
  globe luminaires ("boules"); lit area = spacing x about twice the lantern's
  height. Some points lack data (as real inventories do), so that compliance
  has unknowns to show.

Draws use their own seeded generator, so that the rest of the demo fleet
(positions, cabinets, cameras…) is the same as without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from vigie.assets.demo_plan import SEED

PROGRAMME_START = date(2017, 1, 1)
LED_BEFORE_PROGRAMME = 3_000
LED_TWO_YEARS_ON = 10_000
# Technology of the lamp an LED replaced, by when it was converted (mercury first).
PREVIOUS = {
    "before": (("HPS", 0.7), ("MH", 0.2), ("MV", 0.1)),
    "early": (("HPS", 0.55), ("MH", 0.15), ("MV", 0.3)),
    "late": (("HPS", 0.75), ("MH", 0.2), ("MV", 0.05)),
}
LEGACY_WATTS = {
    "HPS": ((70, 100, 150, 250), (0.34, 0.36, 0.2, 0.1)),
    "MH": ((70, 150), (0.6, 0.4)),
    "MV": ((125, 250), (0.8, 0.2)),
}
LAMP_FLUX = {
    ("HPS", 70): 6_600,
    ("HPS", 100): 10_700,
    ("HPS", 150): 17_500,
    ("HPS", 250): 33_000,
    ("MH", 70): 6_500,
    ("MH", 150): 14_000,
    ("MV", 125): 6_200,
    ("MV", 250): 12_700,
}
# LED head chosen for a discharge lamp's rated power (W).
LED_FOR = {70: (25, 30), 100: (30, 40), 125: (40, 50), 150: (50, 60), 250: (75, 90)}
GLOBE_SHARE = {"MV": 0.25, "HPS": 0.04, "MH": 0.06}
HERITAGE_ZONE = "21231"  # Dijon's historic centre keeps some heritage lanterns
HERITAGE_SHARE = 0.03


def _day(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def conversion_day(sector: dict[str, Any], installed_on: str) -> date:
    """The sector's conversion day, or the day after the point's installation if later."""
    day: date = sector["led_day"]
    return max(day, date.fromisoformat(installed_on) + timedelta(days=1))


@dataclass
class LampDrawer:
    """Draws, sector by sector, the luminaires and history of the demo's light points."""

    rng: np.random.Generator
    converted: int = 0  # LED points placed so far, in conversion order

    @classmethod
    def seeded(cls) -> LampDrawer:
        return cls(np.random.default_rng(SEED + 16))

    def _pick(self, options: tuple[tuple[str, float], ...]) -> str:
        names = [n for n, _ in options]
        return str(names[int(self.rng.choice(len(names), p=[p for _, p in options]))])

    def _legacy_watts(self, tech: str) -> int:
        watts, p = LEGACY_WATTS[tech]
        return int(self.rng.choice(watts, p=p))

    def sector(self, zone: str, led_n: int, n: int) -> dict[str, Any]:
        """What a street sector shares: its conversion date and phase, luminaire style."""
        rng = self.rng
        before = self.converted
        self.converted += led_n
        if before < LED_BEFORE_PROGRAMME:
            phase, day = "before", _day(rng, date(2012, 1, 1), date(2016, 12, 31))
        elif before < LED_TWO_YEARS_ON:
            phase, day = "early", _day(rng, date(2018, 1, 1), date(2019, 12, 31))
        else:
            phase, day = "late", _day(rng, date(2020, 1, 1), date(2026, 6, 30))
        previous = self._pick(PREVIOUS[phase])
        return {
            "phase": phase,
            "led_day": day,
            "previous": previous,
            "previous_watts": self._legacy_watts(previous),
            "globe": bool(rng.random() < GLOBE_SHARE.get(previous, 0.0)),
            "heritage": zone == HERITAGE_ZONE and bool(rng.random() < HERITAGE_SHARE),
            "built_up": bool(rng.random() < 0.95),
            "spacing": float(rng.uniform(22, 35)),
        }

    def led(
        self, sector: dict[str, Any], cct: int, heights: list[float], installed_on: str
    ) -> tuple[list[dict[str, Any]], int]:
        """A street's LED points (one per height): their head's power and photometry, and
        their total power (W). Drawn as arrays, a street at once."""
        rng = self.rng
        n = len(heights)
        low, high = LED_FOR[min(LED_FOR, key=lambda w: abs(w - sector["previous_watts"]))]
        watts = np.where(rng.random(n) < 0.5, low, high)
        day = conversion_day(sector, installed_on).isoformat()
        flux = np.round(watts * rng.uniform(110, 140, n), -1).tolist()
        ulr = np.where(rng.random(n) < 0.92, 0.0, np.round(rng.uniform(0.5, 3.0, n), 1)).tolist()
        cie = np.round(rng.uniform(95, 99.5, n), 1).tolist()
        lit = self._lit_areas(sector, heights, 0.97)
        built_up = sector["built_up"]
        points = []
        for w, h, f, u, c, a in zip(watts.tolist(), heights, flux, ulr, cie, lit, strict=True):
            attrs: dict[str, Any] = {
                "lampTechnology": "LED",
                "colorTemperature": cct,
                "lanternHeight": h,
                "powerRating": w,
                "dateLastLampChange": day,
                "luminaireInstalledOn": day,
                "luminousFlux": f,
                "upwardLightRatio": u,
                "cieFluxCode3": c,
            }
            if a is not None:
                attrs["litArea"] = a
            attrs["builtUpArea"] = built_up
            points.append(attrs)
        return points, int(watts.sum())

    def legacy(
        self,
        sector: dict[str, Any],
        tech: str,
        watts: int,
        heights: list[float],
        installed_on: str,
        relamped: list[str],
    ) -> list[dict[str, Any]]:
        """A street's discharge points (one per height) and their photometry, some left unknown
        as in real inventories."""
        rng = self.rng
        n = len(heights)
        flux = LAMP_FLUX.get((tech, watts))
        low, high = (50, 60) if sector["globe"] else (1, 5)
        ulr = np.round(rng.uniform(low, high, n), 1).tolist()
        has_ulr = (rng.random(n) < 0.82).tolist()
        cie = np.round(rng.uniform(85, 97, n), 1).tolist()
        has_cie = (rng.random(n) < 0.75).tolist()
        lit = self._lit_areas(sector, heights, 0.85)
        built_up, heritage = sector["built_up"], sector["heritage"]
        points = []
        for h, changed, u, has_u, c, has_c, a in zip(
            heights, relamped, ulr, has_ulr, cie, has_cie, lit, strict=True
        ):
            attrs: dict[str, Any] = {
                "lampTechnology": tech,
                "powerRating": watts,
                "lanternHeight": h,
                "dateLastLampChange": changed,
                "luminaireInstalledOn": installed_on,
            }
            if flux is not None:
                attrs["luminousFlux"] = flux
            if has_u:
                attrs["upwardLightRatio"] = u
            if has_c:
                attrs["cieFluxCode3"] = c
            if a is not None:
                attrs["litArea"] = a
            attrs["builtUpArea"] = built_up
            if heritage:
                attrs["heritage"] = True
            points.append(attrs)
        return points

    def _lit_areas(self, sector: dict[str, Any], heights: list[float], known: float) -> list[int | None]:
        """Lit area = spacing x about twice the height; a ``1 - known`` share left unknown."""
        rng = self.rng
        n = len(heights)
        area = np.rint(sector["spacing"] * np.asarray(heights) * rng.uniform(1.4, 2.0, n)).astype(int)
        return [
            int(a) if k else None
            for a, k in zip(area.tolist(), (rng.random(n) < known).tolist(), strict=True)
        ]

    def history(
        self, asset_id: str, installed_on: str, attrs: dict[str, Any], sector: dict[str, Any], now: Any
    ) -> list[dict[str, Any]]:
        """The point's changes: its installation, then its LED conversion if it has one."""
        first = date.fromisoformat(installed_on)
        led = attrs["lampTechnology"] == "LED"
        rows = [
            {
                "asset_id": asset_id,
                "changed_on": first,
                "kind": "installed",
                "lamp_technology": sector["previous"] if led else attrs["lampTechnology"],
                "power_rating": float(sector["previous_watts"] if led else attrs["powerRating"]),
                "color_temperature": None,
                "upward_light_ratio": attrs.get("upwardLightRatio") if not led else None,
                "source": "demo",
                "note": "",
                "created_at": now,
            }
        ]
        if led:
            rows.append(
                {
                    "asset_id": asset_id,
                    "changed_on": conversion_day(sector, installed_on),
                    "kind": "conversion",
                    "lamp_technology": "LED",
                    "power_rating": float(attrs["powerRating"]),
                    "color_temperature": float(attrs["colorTemperature"]),
                    "upward_light_ratio": attrs.get("upwardLightRatio"),
                    "source": "demo",
                    "note": "",
                    "created_at": now,
                }
            )
        return rows
