"""City profiles: the city is configuration, not code.

A profile is a directory with a ``city.yaml`` naming the jurisdiction, its
zones (a GeoJSON file), its catalogue and its working hours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

from vigie.city.zones import Zone, ZoneIndex
from vigie.errors import ConfigProblem, ConfigurationError
from vigie.yamlfile import load_located

PROFILES_DIR = Path(__file__).parent / "profiles"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "jurisdiction_id", "name", "timezone", "zones", "catalogue"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "jurisdiction_id": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "timezone": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}$"}},
        "reference_prefix": {"type": "string", "pattern": "^[A-Z]{2,5}$"},
        "contact": {"type": "string"},
        "center": {
            "type": "object",
            "required": ["lat", "long"],
            "properties": {
                "lat": {"type": "number"},
                "long": {"type": "number"},
                "zoom": {"type": "number"},
            },
        },
        "zones": {
            "type": "object",
            "additionalProperties": False,
            "required": ["file", "code_property", "name_property"],
            "properties": {
                "file": {"type": "string"},
                "code_property": {"type": "string"},
                "name_property": {"type": "string"},
                "merge": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name", "members"],
                        "properties": {
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "members": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "catalogue": {"type": "string"},
        "business_hours": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "days": {"type": "array", "items": {"enum": DAYS}},
                "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                "end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                "holidays": {"enum": ["fr", "none"]},
            },
        },
    },
}


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(8, 0)
    end: time = time(17, 30)
    holidays: str = "fr"


@dataclass
class CityProfile:
    id: str
    jurisdiction_id: str
    name: str
    timezone: ZoneInfo
    languages: list[str]
    reference_prefix: str
    zones: ZoneIndex
    catalogue_path: Path
    business_hours: BusinessHours
    directory: Path
    center: dict[str, float] = field(default_factory=dict)
    contact: str = ""

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "fr"


def resolve_profile_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    if candidate.is_dir() and (candidate / "city.yaml").is_file():
        return candidate / "city.yaml"
    bundled = PROFILES_DIR / name_or_path / "city.yaml"
    if bundled.is_file():
        return bundled
    known = ", ".join(sorted(p.name for p in PROFILES_DIR.iterdir() if p.is_dir()))
    raise ConfigurationError(
        [ConfigProblem(name_or_path, None, "city", f"no such city profile (bundled: {known})")]
    )


def load_profile(name_or_path: str) -> CityProfile:
    path = resolve_profile_path(name_or_path)
    doc = load_located(path)
    problems = [
        doc.problem(tuple(e.absolute_path), e.message)
        for e in Draft202012Validator(PROFILE_SCHEMA).iter_errors(doc.data)
    ]
    if problems:
        raise ConfigurationError(problems)
    data = doc.data
    try:
        tz = ZoneInfo(data["timezone"])
    except Exception as exc:  # ZoneInfo raises several types for a bad key
        raise ConfigurationError([doc.problem(("timezone",), f"unknown time zone: {exc}")]) from exc
    directory = path.parent
    zones_cfg = data["zones"]
    zones_file = directory / zones_cfg["file"]
    try:
        geojson = json.loads(zones_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError([doc.problem(("zones", "file"), str(exc))]) from exc
    zones = ZoneIndex.from_geojson(
        geojson,
        code_property=zones_cfg["code_property"],
        name_property=zones_cfg["name_property"],
        merges=zones_cfg.get("merge", []),
    )
    bh = data.get("business_hours", {})
    hours = BusinessHours(
        days=frozenset(DAYS.index(d) for d in bh.get("days", DAYS[:5])),
        start=time.fromisoformat(bh.get("start", "08:00")),
        end=time.fromisoformat(bh.get("end", "17:30")),
        holidays=bh.get("holidays", "none"),
    )
    return CityProfile(
        id=data["id"],
        jurisdiction_id=data["jurisdiction_id"],
        name=data["name"],
        timezone=tz,
        languages=data.get("languages", ["fr", "en"]),
        reference_prefix=data.get("reference_prefix", data["id"][:3].upper()),
        zones=zones,
        catalogue_path=directory / data["catalogue"],
        business_hours=hours,
        directory=directory,
        center=data.get("center", {}),
        contact=data.get("contact", ""),
    )


__all__ = ["CityProfile", "Zone", "load_profile", "BusinessHours"]
