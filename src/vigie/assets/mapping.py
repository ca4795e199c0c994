"""Declarative mappings for ``vigie import assets``.

The same source side as the reports importer (:mod:`vigie.importer.mapping`),
and the same code for it (:mod:`vigie.sources.mapping`,
:mod:`vigie.sources.loader`): a YAML file validated with a JSON
Schema, every problem named by file, line and field; bundled mappings live in
``mappings/NAME.yaml`` next to this module and are found by name
(``--mapping dc_streetlights``), any other value is a path. This module holds
what is specific to assets: the targets, attributes and links, and
:meth:`AssetMapping.map_asset`.

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
from datetime import date
from pathlib import Path
from typing import Any

from vigie.assets.domain import (
    FREE_NAME_RE,
    AssetDraft,
    coerce_value,
)
from vigie.assets.types import ASSET_TYPES, STATUSES, AttributeSpec, AttrType
from vigie.importer.mapping import Mapping
from vigie.sources.loader import MappingKind, MappingLoader, field_schema, mapping_schema
from vigie.sources.mapping import MAX_EXTERNAL_ID, FieldSpec, Getter, RowError
from vigie.yamlfile import Path_

MAPPINGS_DIR = Path(__file__).parent / "mappings"

TARGETS = ("id", "type", "name", "status", "installed_on", "group", "parent_id")
REQUIRED_TARGETS = ("id", "type")
FREE_TYPES = ("string", "integer", "number", "boolean", "date")

_FIELD = field_schema(
    ["string", "number", "boolean"],
    pattern={"type": "string", "minLength": 1},
    prefix={"type": "string", "maxLength": 64},
    multiply={"type": "number"},
    round={"type": "integer", "minimum": 0, "maximum": 10},
)
_FREE_FIELD: dict[str, Any] = {
    **_FIELD,
    "properties": {**_FIELD["properties"], "as": {"enum": list(FREE_TYPES)}},
}

MAPPING_SCHEMA: dict[str, Any] = mapping_schema(
    "Vigie asset import mapping",
    {t: _FIELD for t in TARGETS},
    REQUIRED_TARGETS,
    attributes={"type": "object", "additionalProperties": _FIELD},
    free_attributes={"type": "object", "additionalProperties": _FREE_FIELD},
    links={"type": "object", "additionalProperties": _FIELD},
)

_KIND = MappingKind(MAPPINGS_DIR, "asset mapping", MAPPING_SCHEMA)


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
    """A mapping of records to assets: the fields, typed and free attributes, links.

    It derives from the reports :class:`~vigie.importer.mapping.Mapping`, which
    is the type the sources of :mod:`vigie.importer.run` read with.
    """

    attributes: dict[str, ValueSpec] = field(default_factory=dict)
    free_attributes: dict[str, ValueSpec] = field(default_factory=dict)
    links: dict[str, ValueSpec] = field(default_factory=dict)
    types: frozenset[str] = frozenset()  # the asset types this mapping can produce

    def columns(self) -> list[tuple[str, Path_]]:
        used = super().columns()  # external id, fields, location
        for group in (self.attributes, self.free_attributes, self.links):
            for spec in group.values():
                used.extend(spec.sources(spec.where))
        return used

    # --- one record ------------------------------------------------------

    def map_asset(self, get: Getter, geometry: Any = None) -> AssetDraft:
        """Translate one record; raises :class:`RowError` naming the field at fault."""
        external_id = self.external_id(get)
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
        parsed = self.strptime(text)
        if parsed is not None:
            return parsed.date()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise self.not_a_date(target, text) from None

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


bundled_mappings = _KIND.bundled  # () -> the names of the bundled mappings
resolve_mapping_path = _KIND.resolve  # (name or path) -> the file; ConfigurationError if none


class _Loader(MappingLoader):
    def make_spec(self, raw: dict[str, Any], where: Path_, **common: Any) -> ValueSpec:
        pattern = None
        if "pattern" in raw:
            try:
                pattern = re.compile(raw["pattern"])
            except re.error as exc:
                self.problem(where + ("pattern",), f"not a regular expression: {exc}")
        return ValueSpec(
            **common,
            pattern=pattern,
            prefix=raw.get("prefix", ""),
            multiply=raw.get("multiply"),
            round_to=raw.get("round"),
            free_type=raw.get("as", "string"),
            where=where,
        )

    def spec(self, target: str, raw: dict[str, Any], where: Path_) -> ValueSpec | None:
        spec = super().spec(target, raw, where)
        assert spec is None or isinstance(spec, ValueSpec)
        return spec


def load_asset_mapping(name_or_path: str | Path, text: str | None = None) -> AssetMapping:
    """Load and validate an asset mapping (schema, targets, types, attributes)."""
    loader = _Loader(_KIND.load(name_or_path, text))
    data = loader.data

    fields: dict[str, FieldSpec] = {}
    for target, raw, where, spec in loader.field_specs(TARGETS):
        if spec is not None:
            fields[target] = spec
        if target == "status":
            for p, value in loader.outputs(raw, where):
                if value not in STATUSES:
                    loader.problem(p, f"'{value}' is not an asset status ({', '.join(STATUSES)})")
    type_raw = data["fields"]["type"]
    types: set[str] = set()
    for p, value in loader.outputs(type_raw, ("fields", "type")):
        if value not in ASSET_TYPES:
            loader.problem(p, f"'{value}' is not an asset type ({', '.join(ASSET_TYPES)})")
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
            loader.problem(
                where,
                f"'{name}' is not an attribute of {', '.join(sorted(possible)) or 'these types'} "
                "(put other values under free_attributes)",
            )
            continue
        value_spec = loader.spec(name, raw, where)
        if value_spec is None:
            continue
        attributes[name] = value_spec
        for typed in specs:
            if typed.type is AttrType.ENUM and "pattern" not in raw and "prefix" not in raw:
                for p, value in loader.outputs(raw, where):
                    if value not in typed.values:
                        loader.problem(p, f"'{value}' is not a {name} value ({', '.join(typed.values)})")

    free: dict[str, ValueSpec] = {}
    for name, raw in (data.get("free_attributes") or {}).items():
        where = ("free_attributes", name)
        if not FREE_NAME_RE.match(name):
            loader.problem(where, "free attribute names are camelCase letters and digits")
            continue
        shadowed = sorted(t for t in possible if name in ASSET_TYPES[t].attributes)
        if shadowed:
            loader.problem(
                where, f"'{name}' is a typed attribute of {', '.join(shadowed)}: map it under attributes"
            )
            continue
        value_spec = loader.spec(name, raw, where)
        if value_spec is not None:
            free[name] = value_spec

    links: dict[str, ValueSpec] = {}
    for rel, raw in (data.get("links") or {}).items():
        where = ("links", rel)
        if not any(rel in ASSET_TYPES[t].links for t in possible):
            loader.problem(where, f"'{rel}' is not a link of {', '.join(sorted(possible)) or 'these types'}")
            continue
        value_spec = loader.spec(rel, raw, where)
        if value_spec is not None:
            links[rel] = value_spec

    return loader.build(
        AssetMapping,
        fields,
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
    "MAX_EXTERNAL_ID",
]
