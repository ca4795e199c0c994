"""Open data: datasets, their DCAT metadata, columns and publication rules (plain Python).

A dataset is what a city publishes (one table, renewed by releases); its
metadata follows DCAT (title, description, publisher, contact point, licence,
themes, keywords, spatial and temporal coverage, update frequency). Its
columns are declared with a *kind* that tells the charter what they hold:
free text and contact data never leave Vigie, a resident's position must be
generalised, etc. (see :mod:`vigie.opendata.charter`). Its publication rules
are approved by the ethics committee before they are used.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from vigie.errors import ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


@dataclass(frozen=True)
class Licence:
    code: str
    title: str
    url: str


# The two licences the French open data law names for public bodies (décret 2017-638).
LICENCES: dict[str, Licence] = {
    "etalab-2.0": Licence(
        "etalab-2.0",
        "Licence Ouverte / Open Licence 2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    ),
    "odbl-1.0": Licence(
        "odbl-1.0", "Open Database License (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"
    ),
}

# The EU Publications Office's data themes (the vocabulary DCAT-AP asks for), French and English.
THEMES: dict[str, tuple[str, str]] = {
    "AGRI": ("Agriculture, pêche, sylviculture et alimentation", "Agriculture, fisheries, forestry and food"),
    "ECON": ("Économie et finances", "Economy and finance"),
    "EDUC": ("Éducation, culture et sport", "Education, culture and sport"),
    "ENER": ("Énergie", "Energy"),
    "ENVI": ("Environnement", "Environment"),
    "GOVE": ("Gouvernement et secteur public", "Government and public sector"),
    "HEAL": ("Santé", "Health"),
    "INTR": ("Questions internationales", "International issues"),
    "JUST": ("Justice, système juridique et sécurité publique", "Justice, legal system and public safety"),
    "REGI": ("Régions et villes", "Regions and cities"),
    "SOCI": ("Population et société", "Population and society"),
    "TECH": ("Science et technologie", "Science and technology"),
    "TRAN": ("Transports", "Transport"),
}

# Update frequencies, named after the EU frequency vocabulary; days between two releases.
FREQUENCIES: dict[str, int | None] = {
    "DAILY": 1,
    "WEEKLY": 7,
    "MONTHLY": 31,
    "QUARTERLY": 92,
    "ANNUAL": 366,
    "IRREG": None,  # on demand only
}


class ColumnKind(StrEnum):
    """What a column holds, as the charter sees it."""

    ID = "id"  # an identifier of the published thing (not of a person)
    CATEGORY = "category"  # a value from a short list (service, commune, status…)
    SERVICE = "service"  # a service code of the catalogue: sensitive ones are excluded
    TIME = "time"  # a moment (coarsened by the rules)
    LATITUDE = "latitude"  # the position of a thing (a light, a car park)
    LONGITUDE = "longitude"
    PERSONAL_LATITUDE = "personal_latitude"  # where a resident was: always generalised
    PERSONAL_LONGITUDE = "personal_longitude"
    COUNT = "count"  # a number of people or reports: small ones are suppressed
    MEASURE = "measure"  # any other number
    TEXT = "text"  # free text written by people: never published
    CONTACT = "contact"  # names, e-mails, phones: never published


NEVER_PUBLISHED = frozenset({ColumnKind.TEXT, ColumnKind.CONTACT})
COLUMN_TYPES = ("string", "int", "float", "bool", "timestamp", "date")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    kind: ColumnKind
    fr: str = ""  # what the column means, for the portal and the DCAT catalogue
    en: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "kind": self.kind.value, "fr": self.fr, "en": self.en}


@dataclass(frozen=True)
class Metadata:
    """DCAT metadata of a dataset, in French and English where people read it."""

    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    publisher: str
    contact_point: str  # a service's address (not a person's): e.g. opendata@metropole-dijon.fr
    licence: str
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # in French
    keywords_en: tuple[str, ...] = ()  # the same in English (the DCAT catalogue tags both)
    spatial: str = ""  # the area covered, in words (e.g. "Dijon Métropole")
    spatial_bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    temporal_start: date | None = None
    temporal_end: date | None = None
    frequency: str = "IRREG"
    attribution: str = ""  # the source to credit, where the data came from outside Vigie

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_fr

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" and self.description_en else self.description_fr

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["themes"] = list(self.themes)
        out["keywords"] = list(self.keywords)
        out["keywords_en"] = list(self.keywords_en)
        out["spatial_bbox"] = list(self.spatial_bbox) if self.spatial_bbox else None
        out["temporal_start"] = self.temporal_start.isoformat() if self.temporal_start else None
        out["temporal_end"] = self.temporal_end.isoformat() if self.temporal_end else None
        return out


def metadata_from_json(raw: dict[str, Any]) -> Metadata:
    """Metadata from its JSON form (stored or sent), or ``ValidationFailed`` naming the field."""
    if not isinstance(raw, dict):
        raise ValidationFailed("metadata must be an object", field="metadata")
    for name in ("title_fr", "description_fr", "publisher", "contact_point", "licence"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValidationFailed(f"metadata.{name} is required (text)", field=f"metadata.{name}")
    if raw["licence"] not in LICENCES:
        raise ValidationFailed(
            f"metadata.licence must be one of {', '.join(LICENCES)}", field="metadata.licence"
        )
    themes = tuple(_strings(raw, "themes"))
    for t in themes:
        if t not in THEMES:
            raise ValidationFailed(
                f"metadata.themes: unknown theme {t!r} (one of {', '.join(THEMES)})", field="metadata.themes"
            )
    frequency = raw.get("frequency") or "IRREG"
    if frequency not in FREQUENCIES:
        raise ValidationFailed(
            f"metadata.frequency must be one of {', '.join(FREQUENCIES)}", field="metadata.frequency"
        )
    bbox = raw.get("spatial_bbox")
    if bbox is not None:
        if (
            not isinstance(bbox, list | tuple)
            or len(bbox) != 4
            or not all(isinstance(x, int | float) for x in bbox)
            or not (-180 <= bbox[0] < bbox[2] <= 180 and -90 <= bbox[1] < bbox[3] <= 90)
        ):
            raise ValidationFailed(
                "metadata.spatial_bbox must be [west, south, east, north] in degrees",
                field="metadata.spatial_bbox",
            )
        bbox = tuple(float(x) for x in bbox)
    start, end = _date(raw, "temporal_start"), _date(raw, "temporal_end")
    if start and end and end < start:
        raise ValidationFailed(
            "metadata.temporal_end is before temporal_start", field="metadata.temporal_end"
        )
    return Metadata(
        title_fr=raw["title_fr"].strip(),
        title_en=str(raw.get("title_en") or "").strip(),
        description_fr=raw["description_fr"].strip(),
        description_en=str(raw.get("description_en") or "").strip(),
        publisher=raw["publisher"].strip(),
        contact_point=raw["contact_point"].strip(),
        licence=raw["licence"],
        themes=themes,
        keywords=tuple(_strings(raw, "keywords")),
        keywords_en=tuple(_strings(raw, "keywords_en")),
        spatial=str(raw.get("spatial") or ""),
        spatial_bbox=bbox,
        temporal_start=start,
        temporal_end=end,
        frequency=frequency,
        attribution=str(raw.get("attribution") or ""),
    )


def columns_from_json(raw: Any) -> tuple[Column, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("columns must be a non-empty list", field="columns")
    out: list[Column] = []
    seen: set[str] = set()
    for i, c in enumerate(raw):
        where = f"columns[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            raise ValidationFailed(f"{where}.name is required", field=where)
        if c["name"] in seen:
            raise ValidationFailed(f"{where}: column {c['name']!r} is declared twice", field=where)
        seen.add(c["name"])
        if c.get("type") not in COLUMN_TYPES:
            raise ValidationFailed(f"{where}.type must be one of {', '.join(COLUMN_TYPES)}", field=where)
        try:
            kind = ColumnKind(str(c.get("kind")))
        except ValueError:
            kinds = ", ".join(k.value for k in ColumnKind)
            raise ValidationFailed(f"{where}.kind must be one of {kinds}", field=where) from None
        out.append(Column(c["name"], c["type"], kind, str(c.get("fr") or ""), str(c.get("en") or "")))
    return tuple(out)


TIME_PRECISIONS = ("minute", "hour", "day", "week", "month", "year")
LOCATION_METHODS = ("grid", "displace", "street")


@dataclass(frozen=True)
class Rules:
    """A dataset's publication rules (the charter adds what no rule can waive).

    - ``drop``: more columns left out (free text and contact columns always are);
    - ``location``: how residents' positions are generalised: snapped to the centre of a
      grid cell of ``location_m`` metres (``grid``), displaced by up to ``location_m``
      metres (``displace``), or snapped to one point of the street they are on
      (``street``; a position with no street within reach gets the grid cell instead);
    - ``time``: precision each time column is coarsened to;
    - ``exclude_sensitive``: rows of services that are not public are left out;
    - ``min_count``: counts below it are published as empty (suppressed);
    - ``quasi_identifiers`` and ``k``: every combination of their values must be shared
      by at least ``k`` rows (k-anonymity); ``suppress_share`` is the share of rows that
      may be left out to get there (0: none; the release is blocked instead).
    """

    drop: tuple[str, ...] = ()
    location: str = "grid"
    location_m: float = 200.0
    time: dict[str, str] = field(default_factory=dict)
    exclude_sensitive: bool = True
    min_count: int = 0
    quasi_identifiers: tuple[str, ...] = ()
    k: int = 5
    suppress_share: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["drop"] = list(self.drop)
        out["quasi_identifiers"] = list(self.quasi_identifiers)
        return out


MIN_K = 5


def rules_from_json(raw: Any, columns: tuple[Column, ...]) -> Rules:
    """Rules from their JSON form, checked against the dataset's columns."""
    if not isinstance(raw, dict):
        raise ValidationFailed("rules must be an object", field="rules", reason="rules.not_object")
    names = {c.name for c in columns}
    known = set(Rules.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationFailed(
            f"rules: unknown key(s) {', '.join(unknown)}",
            field="rules",
            reason="rules.unknown_keys",
            params={"keys": unknown},
        )
    drop = tuple(_strings(raw, "drop", prefix="rules"))
    for name in drop:
        if name not in names:
            raise ValidationFailed(
                f"rules.drop: no column {name!r}",
                field="rules.drop",
                reason="rules.no_column",
                params={"name": name},
            )
    location = raw.get("location", "grid")
    if location not in LOCATION_METHODS:
        raise ValidationFailed(
            f"rules.location must be one of {', '.join(LOCATION_METHODS)}",
            field="rules.location",
            reason="rules.location",
            params={"choices": list(LOCATION_METHODS)},
        )
    location_m = _number(raw, "location_m", 200.0)
    if not 10 <= location_m <= 50_000:
        raise ValidationFailed(
            "rules.location_m must be between 10 and 50000 metres",
            field="rules.location_m",
            reason="rules.location_m",
            params={"min": 10, "max": 50_000},
        )
    time = raw.get("time", {})
    if not isinstance(time, dict):
        raise ValidationFailed(
            "rules.time must map time columns to a precision", field="rules.time", reason="rules.time_map"
        )
    time_kinds = {c.name for c in columns if c.kind == ColumnKind.TIME}
    for name, precision in time.items():
        if name not in time_kinds:
            raise ValidationFailed(
                f"rules.time: {name!r} is not a time column",
                field="rules.time",
                reason="rules.not_time",
                params={"name": name},
            )
        if precision not in TIME_PRECISIONS:
            raise ValidationFailed(
                f"rules.time.{name} must be one of {', '.join(TIME_PRECISIONS)}",
                field="rules.time",
                reason="rules.time_precision",
                params={"name": name, "choices": list(TIME_PRECISIONS)},
            )
    qis = tuple(_strings(raw, "quasi_identifiers", prefix="rules"))
    for name in qis:
        if name not in names or name in drop:
            raise ValidationFailed(
                f"rules.quasi_identifiers: {name!r} is not a published column",
                field="rules.quasi_identifiers",
                reason="rules.not_published",
                params={"name": name},
            )
    k = raw.get("k", MIN_K)
    if not isinstance(k, int) or isinstance(k, bool) or k < MIN_K:
        raise ValidationFailed(
            f"rules.k must be a whole number of at least {MIN_K}",
            field="rules.k",
            reason="rules.k",
            params={"min": MIN_K},
        )
    min_count = raw.get("min_count", 0)
    if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 0:
        raise ValidationFailed(
            "rules.min_count must be a whole number ≥ 0", field="rules.min_count", reason="rules.min_count"
        )
    share = _number(raw, "suppress_share", 0.0)
    if not 0 <= share <= 0.2:
        raise ValidationFailed(
            "rules.suppress_share must be between 0 and 0.2",
            field="rules.suppress_share",
            reason="rules.suppress_share",
            params={"max": 0.2},
        )
    exclude = raw.get("exclude_sensitive", True)
    if not isinstance(exclude, bool):
        raise ValidationFailed(
            "rules.exclude_sensitive must be true or false",
            field="rules.exclude_sensitive",
            reason="rules.exclude_sensitive",
        )
    return Rules(drop, location, location_m, dict(time), exclude, min_count, qis, k, share)


@dataclass(frozen=True)
class Dataset:
    id: str
    metadata: Metadata
    source: str  # the kind of source that builds its rows (vigie.opendata.sources)
    params: dict[str, Any]
    columns: tuple[Column, ...]
    status: str  # draft, in_review, approved
    rules: Rules | None  # the rules the committee approved (None before the first approval)
    rules_version: int = 0

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def published_columns(self) -> tuple[Column, ...]:
        dropped = set(self.rules.drop) if self.rules else set()
        return tuple(c for c in self.columns if c.kind not in NEVER_PUBLISHED and c.name not in dropped)

    @property
    def geometry(self) -> tuple[str, str] | None:
        """The (latitude, longitude) columns of a geographic dataset, or None."""
        cols = self.published_columns
        lat = next(
            (c.name for c in cols if c.kind in (ColumnKind.LATITUDE, ColumnKind.PERSONAL_LATITUDE)), None
        )
        lon = next(
            (c.name for c in cols if c.kind in (ColumnKind.LONGITUDE, ColumnKind.PERSONAL_LONGITUDE)), None
        )
        return (lat, lon) if lat and lon else None


# Pages of the portal beside /donnees/{id}: a dataset named so could never be reached.
RESERVED_SLUGS = frozenset({"comite", "catalogue", "cles"})


def check_slug(value: Any) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValidationFailed(
            "id must be 3-64 characters: lower-case letters, digits and dashes", field="id"
        )
    if value in RESERVED_SLUGS:
        raise ValidationFailed(
            f"id {value!r} is reserved (a page of the portal: {', '.join(sorted(RESERVED_SLUGS))})",
            field="id",
        )
    return value


def _strings(raw: dict[str, Any], name: str, prefix: str = "metadata") -> list[str]:
    value = raw.get(name, [])
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) and x for x in value):
        raise ValidationFailed(
            f"{prefix}.{name} must be a list of texts",
            field=f"{prefix}.{name}",
            reason="field.list_of_texts",
            params={"name": f"{prefix}.{name}"},
        )
    return list(value)


def _number(raw: dict[str, Any], name: str, default: float) -> float:
    value = raw.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValidationFailed(
            f"rules.{name} must be a number",
            field=f"rules.{name}",
            reason="rules.number",
            params={"name": name},
        )
    return float(value)


def _date(raw: dict[str, Any], name: str) -> date | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            f"metadata.{name} must be a date (YYYY-MM-DD)", field=f"metadata.{name}"
        ) from None
