"""The planner's arrays for a real fleet: what each point draws today and once converted.

Today's kWh come from the energy model (:mod:`vigie.lighting.domain`) at the
point's position and under its group's schedule. The LED that replaces a lamp
is sized to give the same light on the street: the lamp's lumens (its power
times the typical efficacy of its technology, :data:`LAMP_EFFICACY`) times the
share an old luminaire sends out of its bowl (:data:`OLD_OPTICS`), delivered
by an LED luminaire of :data:`LED_EFFICACY` lumens per watt. It burns the same
hours. The figures are typical catalogue values, not measurements: a city
with its own luminaire choices replaces them.

The conversion's cost (luminaire and installation) grows with the LED's power
(:class:`CostModel`); the defaults are assumptions in the range French
syndicates and US utilities publish for road luminaires, in the city's
currency, and every plan may set its own.

End of life: a discharge lamp that has burnt at least :data:`END_OF_LIFE_SHARE`
of its rated life since its last change (or installation), or a point whose
recorded condition calls for replacement. Heritage luminaires carry the
``heritage`` attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select

from vigie.assets.storage import AssetRow
from vigie.lighting import domain
from vigie.lighting.fleet import Fleet
from vigie.lighting.planner import FleetArrays
from vigie.runtime import Vigie

# Lamp lumens per watt, by technology (typical catalogue values).
LAMP_EFFICACY = {"HPS": 100.0, "LPS": 150.0, "MH": 85.0, "MV": 50.0, "INC": 13.0, "other": 60.0, "LED": 0.0}
OLD_OPTICS = 0.7  # share of the lamp's lumens an old luminaire sends out
LED_EFFICACY = 130.0  # lumens out of an LED road luminaire per watt
LED_MIN_WATTS = 10.0
# Rated lamp life (hours) by technology; a lamp past this share of it is near its end.
LAMP_LIFE_HOURS = {"HPS": 24_000.0, "LPS": 18_000.0, "MH": 12_000.0, "MV": 16_000.0, "INC": 2_000.0}
END_OF_LIFE_SHARE = 0.8
WORN_CONDITIONS = ("Need Immediate Replacement", "Need Inspection in 2 years")


@dataclass(frozen=True)
class CostModel:
    base: float = 450.0  # luminaire body, installation, disposal of the old one
    per_led_watt: float = 4.0

    def cost(self, led_watts: np.ndarray) -> np.ndarray:
        return self.base + self.per_led_watt * led_watts


def led_watts(tech: np.ndarray, lamp_watts: np.ndarray) -> np.ndarray:
    """The LED luminaire's power that gives the same light as each lamp."""
    efficacy = np.zeros(len(tech))
    for name, lm_per_w in LAMP_EFFICACY.items():
        efficacy[tech == domain.TECH_INDEX[name]] = lm_per_w
    watts = np.nan_to_num(np.asarray(lamp_watts, dtype=float)) * efficacy * OLD_OPTICS / LED_EFFICACY
    return np.where(watts > 0, np.maximum(watts, LED_MIN_WATTS), 0.0)


@dataclass
class PointTable:
    """The light points as read from the registry, one entry per point (arrays)."""

    ids: np.ndarray
    lat: np.ndarray
    long: np.ndarray
    zone: np.ndarray
    group: np.ndarray
    cabinet: np.ndarray
    street: np.ndarray
    tech: np.ndarray  # codes, domain.tech_codes
    watts: np.ndarray
    second_watts: np.ndarray
    lit: np.ndarray
    heritage: np.ndarray
    worn: np.ndarray  # recorded condition calls for replacement
    last_change: np.ndarray  # datetime64[D], NaT = unknown
    non_compliant: np.ndarray


def _street(name: str) -> str:
    """The street a point stands on: its name up to a cross street (``E ST / 2ND ST``)."""
    return name.split(" / ", 1)[0].strip()


def points_of_fleet(v: Vigie, fleet: Fleet, non_compliant: list[bool]) -> PointTable:
    """The planner's view of the energy model's fleet: its arrays, plus each point's street
    (its name up to a cross street) and what the attributes say of heritage and wear."""
    with v.db.session() as s:
        names = dict(
            s.execute(select(AssetRow.id, AssetRow.name).where(AssetRow.type == "street_light")).all()
        )
    attrs = fleet.attributes

    def last_change(a: dict[str, Any], installed: date | None) -> str:
        d = a.get("dateLastLampChange") or (installed.isoformat() if installed else None)
        return str(d) if d else "NaT"

    return PointTable(
        ids=fleet.ids,
        lat=fleet.lat,
        long=fleet.long,
        zone=fleet.zone,
        group=fleet.group,
        cabinet=fleet.cabinet,
        street=np.array([_street(names.get(i) or "") for i in fleet.ids.tolist()], dtype=object),
        tech=fleet.tech,
        watts=fleet.watts,
        second_watts=fleet.second_watts,
        lit=fleet.lit,
        heritage=np.array([a.get("heritage") is True for a in attrs], dtype=bool),
        worn=np.array([a.get("condition") in WORN_CONDITIONS for a in attrs], dtype=bool),
        last_change=np.array(
            [last_change(a, d) for a, d in zip(attrs, fleet.installed_on, strict=True)], dtype="datetime64[D]"
        ),
        non_compliant=np.asarray(non_compliant, dtype=bool),
    )


def fleet_arrays(
    points: PointTable,
    hours: np.ndarray,
    prices: domain.Prices,
    costs: CostModel,
    today: date,
) -> FleetArrays:
    """The planner's arrays from the registry's points and their yearly hours."""
    now = domain.point_energy(points.tech, points.watts, hours, prices, points.second_watts, points.lit)
    led_w = led_watts(points.tech, points.watts) + led_watts(points.tech, points.second_watts)
    led_w = np.where(points.lit, led_w, 0.0)
    kwh_led = led_w * hours / 1000.0
    is_led = points.tech == domain.TECH_INDEX["LED"]
    # Years burnt since the last lamp change, at this point's hours.
    age_days = (np.datetime64(today, "D") - points.last_change).astype("timedelta64[D]").astype(float)
    life = np.full(len(points.tech), np.inf)
    for name, hours_life in LAMP_LIFE_HOURS.items():
        life[points.tech == domain.TECH_INDEX[name]] = hours_life
    burnt = np.nan_to_num(age_days, nan=0.0) / 365.25 * hours
    end_of_life = ~is_led & ((burnt >= END_OF_LIFE_SHARE * life) | points.worn)
    return FleetArrays(
        ids=points.ids,
        kwh_now=now.kwh,
        kwh_led=np.where(is_led, now.kwh, kwh_led),
        money_now=now.cost,
        money_led=np.where(is_led, now.cost, kwh_led * prices.tariff_per_kwh),
        cost=np.where(is_led | ~points.lit, 0.0, costs.cost(led_w)),
        mercury=points.tech == domain.TECH_INDEX["MV"],
        end_of_life=end_of_life & points.lit,
        non_compliant=points.non_compliant & points.lit,
        heritage=points.heritage,
        # Not lit (removed, planned, out of service): nothing to convert either.
        led=is_led | ~points.lit,
        cabinet=points.cabinet,
        street=points.street,
    )
