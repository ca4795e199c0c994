"""Waste collection rounds: which streams are collected on which days, per zone or street.

A city's rounds are configuration (``waste_rounds``, YAML): streams (household
waste, recycling, garden waste…) with their names in French and English, and
zones, each with the communes (INSEE codes) or the streets of a commune it
covers and the weekdays of each stream. A street listed in a zone wins over a
commune; otherwise the first zone listing the commune. A collection day that
is a public holiday moves to the next day that is not (``holidays:
next_day``), or is dropped (``holidays: skip``); ``exceptions`` move or cancel
single dates. Plain Python: the web and the iCalendar feed read it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from vigie.errors import ConfigProblem, ConfigurationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_RULES = ("next_day", "skip", "keep")


def fold(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("'", " ").split())


@dataclass(frozen=True)
class Stream:
    code: str
    names: dict[str, str]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("fr") or self.code


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    communes: frozenset[str]
    streets: frozenset[tuple[str, str]]  # (commune code, folded street name)
    rounds: dict[str, frozenset[int]]  # stream -> weekdays (0 = Monday)


@dataclass(frozen=True)
class Collection:
    day: date
    stream: Stream
    moved_from: date | None = None  # the usual day, when a holiday or an exception moved it


@dataclass
class Rounds:
    streams: dict[str, Stream]
    zones: list[Zone]
    holidays: str = "next_day"
    exceptions: dict[date, date | None] = field(default_factory=dict)  # usual day -> new day (None: none)
    notice: dict[str, str] = field(default_factory=dict)  # shown with the rounds (the demo's: illustrative)

    def zone_for(self, citycode: str, street: str) -> Zone | None:
        key = (citycode, fold(street))
        for zone in self.zones:
            if street and key in zone.streets:
                return zone
        return next((z for z in self.zones if citycode in z.communes), None)

    def collections(
        self, zone: Zone, start: date, end: date, is_holiday: Callable[[date], bool]
    ) -> list[Collection]:
        """Collections of ``zone`` from ``start`` to ``end`` (included), holidays and exceptions applied."""
        out: list[Collection] = []
        day = start - timedelta(days=7)  # a round moved forward from before start may land in it
        while day <= end:
            for code, weekdays in zone.rounds.items():
                if day.weekday() not in weekdays:
                    continue
                moved = self._move(day, is_holiday)
                if moved is not None and start <= moved <= end:
                    out.append(Collection(moved, self.streams[code], day if moved != day else None))
            day += timedelta(days=1)
        return sorted(out, key=lambda c: (c.day, c.stream.code))

    def _move(self, day: date, is_holiday: Callable[[date], bool]) -> date | None:
        if day in self.exceptions:
            return self.exceptions[day]
        if self.holidays == "keep" or not is_holiday(day):
            return day
        if self.holidays == "skip":
            return None
        moved = day + timedelta(days=1)
        while is_holiday(moved) or moved.weekday() == 6:
            moved += timedelta(days=1)
        return moved


def _problem(path: Path, where: str, message: str) -> ConfigurationError:
    return ConfigurationError([ConfigProblem(str(path), None, where, message)])


def load_rounds(path: Path) -> Rounds:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise _problem(path, "(file)", f"cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise _problem(path, "(file)", "is not a mapping")
    streams = {}
    for code, names in (data.get("streams") or {}).items():
        if not isinstance(names, dict) or "fr" not in names:
            raise _problem(path, f"streams.{code}", "needs its name in French (fr) and English (en)")
        streams[str(code)] = Stream(str(code), {str(k): str(v) for k, v in names.items()})
    zones = []
    for i, raw in enumerate(data.get("zones") or []):
        where = f"zones[{i}]"
        if not isinstance(raw, dict) or "id" not in raw or "rounds" not in raw:
            raise _problem(path, where, "a zone needs an id and its rounds")
        rounds: dict[str, frozenset[int]] = {}
        for code, days in (raw.get("rounds") or {}).items():
            if code not in streams:
                raise _problem(
                    path, f"{where}.rounds.{code}", f"'{code}' is not a stream ({', '.join(streams)})"
                )
            bad = [d for d in days if d not in WEEKDAYS]
            if bad:
                raise _problem(
                    path, f"{where}.rounds.{code}", f"{bad[0]!r} is not a weekday ({', '.join(WEEKDAYS)})"
                )
            rounds[code] = frozenset(WEEKDAYS.index(d) for d in days)
        streets = set()
        for item in raw.get("streets") or []:
            commune, _, street = str(item).partition(":")
            if not street:
                raise _problem(path, f"{where}.streets", f"{item!r}: write 'INSEE code: street name'")
            streets.add((commune.strip(), fold(street)))
        communes = frozenset(str(c) for c in raw.get("communes") or [])
        zones.append(
            Zone(str(raw["id"]), str(raw.get("name", raw["id"])), communes, frozenset(streets), rounds)
        )
    rule = str(data.get("holidays", "next_day"))
    if rule not in HOLIDAY_RULES:
        raise _problem(path, "holidays", f"'{rule}' is not one of {', '.join(HOLIDAY_RULES)}")
    exceptions: dict[date, date | None] = {}
    for item in data.get("exceptions") or []:
        try:
            usual = date.fromisoformat(str(item["date"]))
            exceptions[usual] = date.fromisoformat(str(item["moved_to"])) if item.get("moved_to") else None
        except (KeyError, TypeError, ValueError):
            raise _problem(
                path, "exceptions", f"{item!r}: write {{date: YYYY-MM-DD, moved_to: YYYY-MM-DD}}"
            ) from None
    notice = {str(k): str(v) for k, v in (data.get("notice") or {}).items()}
    return Rounds(streams, zones, rule, exceptions, notice)


__all__ = ["Collection", "Rounds", "Stream", "Zone", "fold", "load_rounds"]
