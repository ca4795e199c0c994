"""Declarative mappings for ``vigie import assets``.

The same ideas as the reports importer (:mod:`vigie.importer.mapping`): a YAML
file validated with a JSON Schema, every problem named by file, line and field;
bundled mappings live in ``mappings/NAME.yaml`` next to this module and are
found by name (``--mapping dc_streetlights``), any other value is a path.

.. code-block:: yaml

    format: csv                          # csv | geojson (default: from the suffix)
    csv: {delimiter: ",", encoding: utf-8-sig}
    external_id: {column: STREETLIGHTID, prefix: "ddot:"}   # makes re-runs idempotent
    null_values: ["N/A", "<Null>"]      # read as missing ("" always is)
    dates: {formats: ["%m/%d/%Y %H:%M:%S"]}                 # then ISO 8601
    location: {lat: YCOORD, long: XCOORD}  # or {point: …}; GeoJSON: the Point geometry
    fields:
      id: {column: STREETLIGHTID, prefix: "DC-SL-"}         # required
      type: {value: street_light}                            # required
      name: {columns: [STREETNAME, CROSSSTREET], join: " / "}
      status: {column: ASSETSTATUS_DESC, value_map: {Active: in_service}, default: planned}
      installed_on: {column: INOPERATION}
      group: {column: CIRCUIT}
      parent_id: {column: POLE, prefix: "DC-POLE-"}
    attributes:                          # typed attributes of the asset type
      lampTechnology: {column: LIGHTTYPE_DESC, value_map: {"HPS-High Pressure Sodium": HPS}}
      powerRating: {column: WATTAGE1}
      lanternHeight: {column: POLEHEIGHT_DESC, pattern: '^([0-9.]+) ft$', multiply: 0.3048,
                      round: 2}
    free_attributes:                     # anything else, kept as text unless `as:` says
      ward: {column: WARD, as: integer}
    links:
      refStreetlightControlCabinet: {column: CABINET, prefix: "DC-CAB-"}

A field takes its value from one ``column``, several ``columns`` joined with
``join`` (default a space; missing and repeated parts left out), or a constant
``value``; ``value_map`` translates it (exact value, then shorter prefixes cut
at the separator, then ``default``, as in the reports importer). Then, in this
order: ``pattern`` (a regular expression whose first group, or whole match, is
kept; no match is a row error), ``prefix``, and for numbers ``multiply`` and
``round``. Typed attributes must be declared by the asset type(s) the mapping
can produce, and apply to the rows whose type declares them (a file may mix
cabinets and lights); their values are converted to the attribute's type
(``"400"`` → 400, dates with ``dates.formats``). Free attributes apply to every
row and must not shadow a typed one. Links must name assets already in the
database or earlier in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from vigie.assets.domain import (
    ASSET_TYPES,
    FREE_NAME_RE,
    STATUSES,
    AssetDraft,
    AttributeSpec,
    AttrType,
    coerce_value,
)
from vigie.errors import ConfigProblem, ConfigurationError
from vigie.importer.mapping import FieldSpec, Getter, Mapping, RowError
from vigie.yamlfile import LocatedDocument, Path_, load_located

MAPPINGS_DIR = Path(__file__).parent / "mappings"

TARGETS = ("id", "type", "name", "status", "installed_on", "group", "parent_id")
REQUIRED_TARGETS = ("id", "type")
FREE_TYPES = ("string", "integer", "number", "boolean", "date")
MAX_EXTERNAL_ID = 128

_COLUMN = {"type": "string", "minLength": 1}
_FIELD: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "column": _COLUMN,
        "columns": {"type": "array", "minItems": 1, "items": _COLUMN},
        "join": {"type": "string"},
        "value": {"type": ["string", "number", "boolean"]},
        "value_map": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "default": {"type": ["string", "number", "boolean"]},
        "pattern": {"type": "string", "minLength": 1},
        "prefix": {"type": "string", "maxLength": 64},
        "multiply": {"type": "number"},
        "round": {"type": "integer", "minimum": 0, "maximum": 10},
    },
}
_FREE_FIELD: dict[str, Any] = {
    **_FIELD,
    "properties": {**_FIELD["properties"], "as": {"enum": list(FREE_TYPES)}},
}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Vigie asset import mapping",
    "type": "object",
    "additionalProperties": False,
    "required": ["external_id", "fields"],
    "properties": {
        "description": {"type": "string"},
        "format": {"enum": ["csv", "geojson"]},
        "csv": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
                "encoding": {"type": "string", "minLength": 1},
            },
        },
        "external_id": {
            "type": "object",
            "additionalProperties": False,
            "required": ["column"],
            "properties": {"column": _COLUMN, "prefix": {"type": "string", "maxLength": 64}},
        },
        "null_values": {"type": "array", "items": {"type": "string"}},
        "dates": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "formats": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                },
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"lat": _COLUMN, "long": _COLUMN, "point": _COLUMN},
        },
        "fields": {
            "type": "object",
            "additionalProperties": False,
            "required": list(REQUIRED_TARGETS),
            "properties": {t: _FIELD for t in TARGETS},
        },
        "attributes": {"type": "object", "additionalProperties": _FIELD},
        "free_attributes": {"type": "object", "additionalProperties": _FREE_FIELD},
        "links": {"type": "object", "additionalProperties": _FIELD},
    },
}

_VALIDATOR = Draft202012Validator(MAPPING_SCHEMA)


@dataclass(frozen=True)
class ValueSpec(FieldSpec):
    """A :class:`FieldSpec` with the asset importer's post-processing steps."""

    pattern: re.Pattern[str] | None = None
    prefix: str = ""
    multiply: float | None = None
    round_to: int | None = None
    free_type: str = "string"
    where: Path_ = ()

    def value_of(self, get: Getter) -> str | None:
        raw = self.extract(get)
        if raw is None:
            return None
        if self.pattern is not None:
            m = self.pattern.search(raw)
            if m is None:
                raise RowError(self.target, f"'{raw}' does not match the pattern {self.pattern.pattern!r}")
            raw = m.group(1) if m.groups() else m.group(0)
        return self.prefix + raw if self.prefix else raw


@dataclass
class AssetMapping(Mapping):
    """A reports :class:`Mapping` (sources, location, errors) plus asset targets."""

    attributes: dict[str, ValueSpec] = field(default_factory=dict)
    free_attributes: dict[str, ValueSpec] = field(default_factory=dict)
    links: dict[str, ValueSpec] = field(default_factory=dict)
    types: frozenset[str] = frozenset()  # the asset types this mapping can produce

    def columns(self) -> list[tuple[str, Path_]]:
        used = super().columns()  # external id, fields, location
        for group in (self.attributes, self.free_attributes, self.links):
            for spec in group.values():
                if spec.single_column:
                    used.append((spec.columns[0], spec.where + ("column",)))
                else:
                    used.extend((c, spec.where + ("columns", i)) for i, c in enumerate(spec.columns))
        return used

    # --- one record ------------------------------------------------------

    def map_asset(self, get: Getter, geometry: Any = None) -> AssetDraft:
        """Translate one record; raises :class:`RowError` naming the field at fault."""
        raw_id = get(self.external_id_column)
        if raw_id is None:
            raise RowError("external_id", f"{self.external_id_column} is empty")
        external_id = self.external_id_prefix + raw_id
        if len(external_id) > MAX_EXTERNAL_ID:
            raise RowError("external_id", f"longer than {MAX_EXTERNAL_ID} characters")
        values: dict[str, str | None] = {}
        for target, spec in self.fields.items():
            assert isinstance(spec, ValueSpec)
            values[target] = spec.value_of(get)
        type_code = values.get("type")
        if type_code is None:
            raise RowError("type", "no asset type")
        type_ = ASSET_TYPES.get(type_code)
        if type_ is None:
            raise RowError("type", f"'{type_code}' is not an asset type ({', '.join(ASSET_TYPES)})")
        asset_id = values.get("id")
        if asset_id is None:
            raise RowError("id", "no asset id")
        attributes: dict[str, Any] = {}
        for name, spec in self.attributes.items():
            typed = type_.attributes.get(name)
            if typed is None:
                continue  # an attribute of the other types of a mixed file
            text = _attr_value(spec, get, f"attributes.{name}")
            if text is not None:
                attributes[name] = self._convert(typed, text, f"attributes.{name}")
        for name, spec in self.free_attributes.items():
            text = _attr_value(spec, get, f"attributes.{name}")
            if text is not None:
                attributes[name] = self._free(spec, text, f"attributes.{name}")
        links: dict[str, str] = {}
        for rel, spec in self.links.items():
            if rel not in type_.links:
                continue
            text = _attr_value(spec, get, f"links.{rel}")
            if text is not None:
                links[rel] = text
        installed: date | None = None
        if values.get("installed_on"):
            installed = self.parse_day(str(values["installed_on"]), "installed_on")
        lat, long = self.location(get, geometry)
        return AssetDraft(
            id=asset_id,
            type=type_code,
            lat=_coordinate(lat, "lat"),
            long=_coordinate(long, "long"),
            status=values.get("status") or "in_service",
            name=values.get("name") or "",
            group=values.get("group") or "",
            installed_on=installed,
            attributes=attributes,
            links=links,
            parent_id=values.get("parent_id"),
            external_id=external_id,
        )

    def parse_day(self, text: str, target: str) -> date:
        for fmt in self.date_formats:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            formats = " or ".join([f"'{f}'" for f in self.date_formats] + ["ISO 8601"])
            raise RowError(target, f"'{text}' is not a date ({formats})") from None

    def _convert(self, spec: AttributeSpec, text: str, where: str) -> Any:
        if spec.type is AttrType.DATE:
            return self.parse_day(text, where).isoformat()
        try:
            value: Any = coerce_value(spec, text, coerce=True)
        except ValueError as exc:
            raise RowError(where, str(exc)) from None
        return value

    def _free(self, spec: ValueSpec, text: str, where: str) -> Any:
        kind = spec.free_type
        if kind == "string":
            return text
        if kind == "date":
            return self.parse_day(text, where).isoformat()
        synthetic = AttributeSpec(where, AttrType(kind), "")
        try:
            return coerce_value(synthetic, text, coerce=True)
        except ValueError as exc:
            raise RowError(where, str(exc)) from None


def _attr_value(spec: ValueSpec, get: Getter, where: str) -> str | None:
    try:
        text = spec.value_of(get)
    except RowError as exc:
        raise RowError(where, exc.message) from None
    if text is None:
        return None
    if spec.multiply is not None or spec.round_to is not None:
        try:
            number = float(text)
        except ValueError:
            raise RowError(where, f"'{text}' is not a number") from None
        if spec.multiply is not None:
            number *= spec.multiply
        if spec.round_to is not None:
            number = round(number, spec.round_to)
        text = repr(int(number)) if number.is_integer() else repr(number)
    return text


def _coordinate(value: Any, key: str) -> float | None:
    if value is None or isinstance(value, float | int):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        raise RowError(key, f"'{value}' is not a number") from None


# --- loading ---------------------------------------------------------------


def bundled_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def resolve_mapping_path(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    name = str(name_or_path)
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        bundled = MAPPINGS_DIR / f"{name}.yaml"
        if bundled.is_file():
            return bundled
    known = ", ".join(bundled_mappings()) or "none"
    raise ConfigurationError(
        [
            ConfigProblem(
                name,
                None,
                "mapping",
                f"no such asset mapping file or bundled mapping (bundled: {known})",
            )
        ]
    )


def _schema_problem(doc: LocatedDocument, err: ValidationError) -> ConfigProblem:
    path: Path_ = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        schema = err.schema if isinstance(err.schema, dict) else {}
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = [k for k in err.instance if k not in allowed]
        if extra and allowed:
            return doc.problem(
                path + (extra[0],), f"unknown key '{extra[0]}' (expected one of: {', '.join(allowed)})"
            )
    return doc.problem(path, err.message)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Loader:
    def __init__(self, doc: LocatedDocument) -> None:
        self.doc = doc
        self.problems: list[ConfigProblem] = []

    def spec(self, target: str, raw: dict[str, Any], where: Path_) -> ValueSpec | None:
        sources = [k for k in ("column", "columns", "value") if k in raw]
        if len(sources) != 1:
            self.problems.append(
                self.doc.problem(
                    where,
                    "give exactly one of column, columns or value"
                    + (f" (got {', '.join(sources)})" if sources else ""),
                )
            )
            return None
        value_map = None
        if "value_map" in raw:
            value_map = {}
            for key, mapped in raw["value_map"].items():
                if isinstance(key, bool) or key is None:
                    self.problems.append(
                        self.doc.problem(
                            where + ("value_map", str(key)),
                            f"YAML reads this key as {key!r}; quote it",
                        )
                    )
                    continue
                value_map[str(key).strip()] = _text(mapped)
        pattern = None
        if "pattern" in raw:
            try:
                pattern = re.compile(raw["pattern"])
            except re.error as exc:
                self.problems.append(
                    self.doc.problem(where + ("pattern",), f"not a regular expression: {exc}")
                )
        if "value" in raw:
            constant: str | None = _text(raw["value"])
        else:
            constant = None
        return ValueSpec(
            target=target,
            columns=(raw["column"],) if "column" in raw else tuple(raw.get("columns", ())),
            join=raw.get("join", " "),
            value=constant,
            value_map=value_map,
            default=_text(raw["default"]) if "default" in raw else None,
            single_column="column" in raw,
            pattern=pattern,
            prefix=raw.get("prefix", ""),
            multiply=raw.get("multiply"),
            round_to=raw.get("round"),
            free_type=raw.get("as", "string"),
            where=where,
        )

    def outputs(self, raw: dict[str, Any], where: Path_) -> list[tuple[Path_, str]]:
        """Every value the field can produce from its configuration, with where it is."""
        out: list[tuple[Path_, str]] = [
            (where + ("value_map", str(k)), _text(v)) for k, v in (raw.get("value_map") or {}).items()
        ]
        out += [(where + (k,), _text(raw[k])) for k in ("value", "default") if k in raw]
        return out


def load_asset_mapping(name_or_path: str | Path, text: str | None = None) -> AssetMapping:
    """Load and validate an asset mapping (schema, targets, types, attributes)."""
    path = Path(name_or_path) if text is not None else resolve_mapping_path(name_or_path)
    doc = load_located(path, text)
    if doc.data is None:
        raise ConfigurationError([ConfigProblem(doc.file, None, "(document)", "the mapping is empty")])
    errors = sorted(_VALIDATOR.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ConfigurationError(sorted((_schema_problem(doc, e) for e in errors), key=lambda p: p.line or 0))
    data: dict[str, Any] = doc.data
    loader = _Loader(doc)
    problems = loader.problems

    fields: dict[str, FieldSpec] = {}
    for target in TARGETS:
        raw = data["fields"].get(target)
        if raw is None:
            continue
        where: Path_ = ("fields", target)
        spec = loader.spec(target, raw, where)
        if spec is not None:
            fields[target] = spec
        if target == "status":
            for p, value in loader.outputs(raw, where):
                if value not in STATUSES:
                    problems.append(
                        doc.problem(p, f"'{value}' is not an asset status ({', '.join(STATUSES)})")
                    )
    type_raw = data["fields"]["type"]
    types: set[str] = set()
    for p, value in loader.outputs(type_raw, ("fields", "type")):
        if value not in ASSET_TYPES:
            problems.append(doc.problem(p, f"'{value}' is not an asset type ({', '.join(ASSET_TYPES)})"))
        else:
            types.add(value)
    # A type read from a column without value_map could be any type.
    open_types = "value_map" not in type_raw and "value" not in type_raw
    possible = set(ASSET_TYPES) if open_types else types

    attributes: dict[str, ValueSpec] = {}
    for name, raw in (data.get("attributes") or {}).items():
        where = ("attributes", name)
        specs = [ASSET_TYPES[t].attributes[name] for t in possible if name in ASSET_TYPES[t].attributes]
        if not specs:
            problems.append(
                doc.problem(
                    where,
                    f"'{name}' is not an attribute of {', '.join(sorted(possible)) or 'these types'} "
                    "(put other values under free_attributes)",
                )
            )
            continue
        spec = loader.spec(name, raw, where)
        if spec is None:
            continue
        attributes[name] = spec
        for typed in specs:
            if typed.type is AttrType.ENUM and "pattern" not in raw and "prefix" not in raw:
                for p, value in loader.outputs(raw, where):
                    if value not in typed.values:
                        problems.append(
                            doc.problem(
                                p,
                                f"'{value}' is not a {name} value ({', '.join(typed.values)})",
                            )
                        )

    free: dict[str, ValueSpec] = {}
    for name, raw in (data.get("free_attributes") or {}).items():
        where = ("free_attributes", name)
        if not FREE_NAME_RE.match(name):
            problems.append(doc.problem(where, "free attribute names are camelCase letters and digits"))
            continue
        shadowed = sorted(t for t in possible if name in ASSET_TYPES[t].attributes)
        if shadowed:
            problems.append(
                doc.problem(
                    where,
                    f"'{name}' is a typed attribute of {', '.join(shadowed)}: map it under attributes",
                )
            )
            continue
        spec = loader.spec(name, raw, where)
        if spec is not None:
            free[name] = spec

    links: dict[str, ValueSpec] = {}
    for rel, raw in (data.get("links") or {}).items():
        where = ("links", rel)
        if not any(rel in ASSET_TYPES[t].links for t in possible):
            problems.append(
                doc.problem(
                    where,
                    f"'{rel}' is not a link of {', '.join(sorted(possible)) or 'these types'}",
                )
            )
            continue
        spec = loader.spec(rel, raw, where)
        if spec is not None:
            links[rel] = spec

    location = data.get("location", {})
    if location:
        has_point = "point" in location
        has_pair = "lat" in location or "long" in location
        if has_point and has_pair:
            problems.append(doc.problem(("location",), "give lat and long, or point, not both"))
        elif has_pair and not ("lat" in location and "long" in location):
            missing = "long" if "lat" in location else "lat"
            problems.append(doc.problem(("location",), f"lat and long go together: {missing} is missing"))
    elif "location" in data:
        problems.append(doc.problem(("location",), "give lat and long, or point"))

    for i, fmt in enumerate((data.get("dates") or {}).get("formats", [])):
        if "%" not in fmt:
            problems.append(
                doc.problem(("dates", "formats", i), f"'{fmt}' is not a strptime format (e.g. %Y-%m-%d)")
            )
    csv_cfg = data.get("csv", {})
    encoding = csv_cfg.get("encoding", "utf-8-sig")
    try:
        "".encode(encoding)
    except LookupError:
        problems.append(doc.problem(("csv", "encoding"), f"unknown encoding '{encoding}'"))

    if problems:
        raise ConfigurationError(sorted(problems, key=lambda p: p.line or 0))
    return AssetMapping(
        source=doc.file,
        external_id_column=data["external_id"]["column"],
        external_id_prefix=data["external_id"].get("prefix", ""),
        fields=fields,
        format=data.get("format"),
        delimiter=csv_cfg.get("delimiter", ","),
        encoding=encoding,
        null_values=frozenset({""} | {v.strip() for v in data.get("null_values", [])}),
        date_formats=tuple((data.get("dates") or {}).get("formats", ())),
        lat_column=location.get("lat"),
        long_column=location.get("long"),
        point_column=location.get("point"),
        doc=doc,
        attributes=attributes,
        free_attributes=free,
        links=links,
        types=frozenset(possible),
    )


__all__ = [
    "AssetMapping",
    "ValueSpec",
    "load_asset_mapping",
    "resolve_mapping_path",
    "bundled_mappings",
    "MAPPING_SCHEMA",
]
