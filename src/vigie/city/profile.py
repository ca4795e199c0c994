"""City profiles: the city is configuration, not code.

A profile is a directory with a ``city.yaml`` naming the jurisdiction, its
zones (a GeoJSON file), its catalogue and its working hours.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

from vigie.city.publication import PublicationPolicy, Shown, TimePrecision
from vigie.city.schema import DAYS, MODULES, PROFILE_SCHEMA
from vigie.errors import ConfigProblem, ConfigurationError
from vigie.yamlfile import load_located, schema_problem

if TYPE_CHECKING:
    from vigie.city.zones import ZoneIndex

PROFILES_DIR = Path(__file__).parent / "profiles"
_VALIDATOR = Draft202012Validator(PROFILE_SCHEMA)


@functools.lru_cache(maxsize=16)
def _holiday_calendar(country: str, subdivision: str | None) -> Any:
    import holidays

    return holidays.country_holidays(country, subdiv=subdivision)


def check_holidays(country: str, subdivision: str | None) -> str | None:
    """Why ``country``/``subdivision`` is not a calendar the holidays library knows, if it is not."""
    import holidays

    known = holidays.list_supported_countries()
    if country not in known:
        return f"unknown country '{country}' for public holidays (ISO 3166 code known to 'holidays')"
    if subdivision is not None and subdivision not in known[country]:
        return (
            f"unknown subdivision '{subdivision}' of {country} (known: {', '.join(known[country]) or 'none'})"
        )
    return None


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(8, 0)
    end: time = time(17, 30)
    # ISO 3166 country (and subdivision) whose public holidays are not worked; None: every day counts.
    holiday_country: str | None = "FR"
    holiday_subdivision: str | None = None

    def is_holiday(self, day: date) -> bool:
        if self.holiday_country is None:
            return False
        return day in _holiday_calendar(self.holiday_country, self.holiday_subdivision)


@dataclass(frozen=True)
class ZoneLabel:
    """What the profile calls its zones, per language (commune, arrondissement, district…)."""

    singular: dict[str, str] = field(default_factory=lambda: {"fr": "Commune", "en": "Municipality"})
    plural: dict[str, str] = field(default_factory=lambda: {"fr": "Communes", "en": "Municipalities"})


@dataclass(frozen=True)
class LightingTarget:
    """An energy cut of the lighting fleet against a reference year's fleet, by ``year``."""

    id: str
    reduction: float
    year: int
    reference_year: int
    label: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LightingProfile:
    """What the lighting energy model and the compliance rules take from the city."""

    currency: str = "EUR"
    tariff_per_kwh: float = 0.25
    co2_kg_per_kwh: float = 0.06
    compliance: str = "none"
    programme_start: int | None = None
    targets: tuple[LightingTarget, ...] = ()


LEGAL_KINDS = ("notice", "privacy", "accessibility", "contact")


@dataclass(frozen=True)
class LegalPage:
    """One of the city's pages linked from every footer: a link, or a Markdown file Vigie serves."""

    kind: str
    href: str
    file: Path | None = None


def _pick(text: dict[str, str], lang: str) -> str:
    return text.get(lang) or text.get("fr") or next(iter(text.values()), "")


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
    zone_label: ZoneLabel = field(default_factory=ZoneLabel)
    phone_service: str | None = None
    address_example: str | None = None
    attribution: dict[str, str] = field(default_factory=dict)
    legal: dict[str, LegalPage] = field(default_factory=dict)
    accessibility_status: str = "none"
    lighting: LightingProfile = field(default_factory=LightingProfile)
    publication: PublicationPolicy = field(default_factory=PublicationPolicy)
    modules: frozenset[str] = frozenset()

    def uses(self, module: str) -> bool:
        """Whether the city declares the optional ``module`` (city.yaml ``modules``)."""
        if module not in MODULES:  # a typo in a template or a route must not hide a page silently
            raise ValueError(f"unknown module '{module}' (known: {', '.join(MODULES)})")
        return module in self.modules

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, long) where the city is: ``center``, else the middle of its zones."""
        box = self.zones.bbox
        return (
            float(self.center.get("lat", (box[1] + box[3]) / 2)),
            float(self.center.get("long", (box[0] + box[2]) / 2)),
        )

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "fr"

    def terms(self, lang: str) -> dict[str, str]:
        """The profile's own words, for the ``{zone}``-style placeholders of product text."""
        zone, zones = _pick(self.zone_label.singular, lang), _pick(self.zone_label.plural, lang)
        return {
            "zone": zone,
            "zones": zones,
            "zone_lower": zone.lower(),
            "zones_lower": zones.lower(),
            "city": self.name,
        }


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
    """Load and check a profile; every problem names its file (city.yaml or the zones file)."""
    path = resolve_profile_path(name_or_path)
    doc = load_located(path)
    problems = [
        schema_problem(doc, e)
        for e in sorted(_VALIDATOR.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
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
    # Imported here: shapely and numpy cost ~25 MB, paid when a profile is loaded, not
    # by every process that imports this module (the app factory, the CLI).
    from vigie.city.zones import ZoneIndex, ZonesProblem

    try:
        zones = ZoneIndex.from_geojson(
            geojson,
            code_property=zones_cfg["code_property"],
            name_property=zones_cfg["name_property"],
            merges=zones_cfg.get("merge", []),
        )
    except ZonesProblem as exc:
        raise ConfigurationError([ConfigProblem(str(zones_file), None, exc.where, exc.message)]) from exc
    bh = data.get("business_hours", {})
    country = bh.get("holidays", "none")
    subdivision = bh.get("holidays_subdivision")
    if country == "none":
        if subdivision is not None:
            raise ConfigurationError(
                [doc.problem(("business_hours", "holidays_subdivision"), "needs business_hours.holidays")]
            )
        country = None
    else:
        country = country.upper()
        if why := check_holidays(country, subdivision):
            key = "holidays" if "country" in why else "holidays_subdivision"
            raise ConfigurationError([doc.problem(("business_hours", key), why)])
    hours = BusinessHours(
        days=frozenset(DAYS.index(d) for d in bh.get("days", DAYS[:5])),
        start=time.fromisoformat(bh.get("start", "08:00")),
        end=time.fromisoformat(bh.get("end", "17:30")),
        holiday_country=country,
        holiday_subdivision=subdivision,
    )
    if hours.end <= hours.start:
        problem = doc.problem(("business_hours", "end"), "must be after business_hours.start")
        raise ConfigurationError([problem])
    label = zones_cfg.get("label")
    legal_cfg = data.get("legal", {})
    legal: dict[str, LegalPage] = {}
    for kind in LEGAL_KINDS:
        target = legal_cfg.get(kind)
        if target is None:
            continue
        if target.endswith(".md") and not target.startswith(("http://", "https://", "/")):
            if not (directory / target).is_file():
                missing = doc.problem(("legal", kind), f"no file '{target}' beside city.yaml")
                raise ConfigurationError([missing])
            legal[kind] = LegalPage(kind, f"/informations/{kind}", directory / target)
        else:
            legal[kind] = LegalPage(kind, target)
    light = data.get("lighting", {})
    lighting = LightingProfile(
        currency=light.get("currency", "EUR"),
        tariff_per_kwh=float(light.get("tariff_per_kwh", 0.25)),
        co2_kg_per_kwh=float(light.get("co2_kg_per_kwh", 0.06)),
        compliance=light.get("compliance", "none"),
        programme_start=light.get("programme_start"),
        targets=tuple(
            LightingTarget(
                t["id"], float(t["reduction"]), int(t["year"]), int(t["reference_year"]), t.get("label", {})
            )
            for t in light.get("targets", [])
        ),
    )
    pub = data.get("publication", {})
    center = data.get("center", {})
    publication = PublicationPolicy(
        description=Shown(pub.get("description", "always")),
        photos=Shown(pub.get("photos", "always")),
        position_m=int(pub.get("position_m", 0)),
        time=TimePrecision(pub.get("time", "exact")),
        centre_lat=float(center.get("lat", (zones.bbox[1] + zones.bbox[3]) / 2)),
        timezone=data["timezone"],
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
        zone_label=ZoneLabel(dict(label["singular"]), dict(label["plural"])) if label else ZoneLabel(),
        phone_service=data.get("phone_service"),
        address_example=data.get("address_example"),
        attribution=dict(data.get("attribution", {})),
        legal=legal,
        accessibility_status=legal_cfg.get("accessibility_status", "none"),
        lighting=lighting,
        publication=publication,
        modules=frozenset(data.get("modules", ())),
    )


__all__ = [
    "CityProfile",
    "LegalPage",
    "LightingProfile",
    "LightingTarget",
    "ZoneLabel",
    "load_profile",
    "BusinessHours",
    "check_holidays",
]
