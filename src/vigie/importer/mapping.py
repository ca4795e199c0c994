"""Declarative column mappings for ``vigie import requests``.

A mapping is a YAML file that says how the records of a CSV or GeoJSON export
of another system become Vigie reports. It is validated with a JSON Schema and
every problem names the file, line and field at fault. Bundled mappings live in
``mappings/NAME.yaml`` next to this module and are found by name
(``--mapping sf311``); any other value is a path.

.. code-block:: yaml

    format: csv                     # csv | geojson (default: from the file suffix)
    csv: {delimiter: ",", encoding: utf-8-sig}   # utf-8-sig also reads a BOM
    external_id: {column: CaseID, prefix: "sf311:"}  # required: makes re-runs idempotent
    null_values: ["NA"]             # read as missing ("" always is)
    dates:
      formats: ["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p"]  # then ISO 8601
      timezone: America/Los_Angeles # for naive dates (default: the city's)
    location: {lat: Lat, long: Long}  # or {point: Point} for "(lat, long)";
                                      # GeoJSON: the Point geometry by default
    fields:
      service_code:
        columns: [Category, Request.Type]
        join: "/"
        value_map: {"Streetlights": streetlight, "Sewer Issues/Water_leak": water-leak}
        default: general-request
      description: {columns: [Request.Type, Request.Details], join: " — "}
      address: {column: Address}
      requested_at: {column: Opened}
      status: {column: Status, value_map: {Open: acknowledged, Closed: resolved}}
      status_notes: {value: "Imported from SF311"}

A field takes its value from one ``column``, from several ``columns`` joined
with ``join`` (default a space; missing and repeated parts are left out), or
is a constant ``value``. ``value_map`` translates source values: the exact
value first, then shorter and shorter prefixes cut at the separator (``join``
for several columns, else ``/``), so ``Sewer Issues/Flooding`` falls back to
``Sewer Issues``; then ``default``. ``default`` is also the value when the
source is missing. Status values are Vigie statuses; service codes must exist
in the city's catalogue. There is deliberately no target for personal data
(reporter name, e-mail, phone): imported history stays anonymous.

What every importer shares (the source sections, field specs, points, loading
and its error reporting) lives in :mod:`vigie.sources.mapping` and
:mod:`vigie.sources.loader`; this module holds what is specific to
reports: the targets, statuses and service codes, and :meth:`Mapping.map_record`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any

from vigie.reports.domain import CLOSED, Status
from vigie.sources.loader import MappingKind, MappingLoader, field_schema, mapping_schema
from vigie.sources.mapping import (
    MAX_EXTERNAL_ID,
    FieldSpec,
    Getter,
    RowError,
    SourceMapping,
    lookup,
    parse_point,
    point_of_geometry,
)

MAPPINGS_DIR = Path(__file__).parent / "mappings"
# reports.reference is VARCHAR(32): "PREFIX-YEAR-" leaves room for this many characters.
MAX_SOURCE_NUMBER = 20

TARGETS = (
    "service_code",
    "description",
    "address",
    "requested_at",
    "closed_at",
    "updated_at",
    "status",
    "status_notes",
)
DATE_TARGETS = frozenset({"requested_at", "closed_at", "updated_at"})
STATUSES = tuple(s.value for s in Status)
_DATE, _STATUS, _RAW, _TEXT = "date", "status", "raw", "text"  # how map_record reads a field
_CLOSED = frozenset(s.value for s in CLOSED)

_FIELD = field_schema("string")
TARGET_MEANINGS = {
    "service_code": "The catalogue's service code (`value_map` turns the source's categories into codes).",
    "description": "The report's text.",
    "address": "The address as written.",
    "requested_at": "When the report was made (a record without it is refused when mapped).",
    "closed_at": "When it was closed (resolved, rejected or duplicate reports); when missing, "
    "see `closed_without_date`.",
    "updated_at": "When it last changed.",
    "status": "A Vigie status: " + ", ".join(f"`{s.value}`" for s in Status) + ".",
    "status_notes": "The city's public answer, kept as the public note of the status change.",
}
_ATTRIBUTE = field_schema(
    ["string", "number", "boolean"],
    split={
        "type": "string",
        "minLength": 1,
        "description": "For a multivaluelist: the separator of the values in the source text; "
        "`value_map` then translates each value.",
    },
)

MAPPING_SCHEMA: dict[str, Any] = mapping_schema(
    "Vigie import mapping",
    {t: {**_FIELD, "description": TARGET_MEANINGS[t]} for t in TARGETS},
    ["service_code"],
    timezone=True,
    attributes={
        "type": "object",
        "description": "Attribute values (the catalogue's codes as keys), each a constant `value` or "
        "mapped from columns like any field. A report gets the attributes its service defines; "
        "the others are left out. Values are checked like any submission's.",
        "additionalProperties": _ATTRIBUTE,
    },
    closed_without_date={
        "enum": ["last_update", "refuse"],
        "description": "A record whose status is closed (`resolved`, `rejected`, `duplicate`) but "
        "whose `closed_at` is missing: `last_update` (default) closes it at its `updated_at`, else "
        "its `requested_at` (the last date the source knows of it); `refuse` refuses the record "
        "(`closed_at: no closing date for a closed record`), for a source whose closed records "
        "must all carry their date.",
    },
    reference={
        "type": "object",
        "additionalProperties": False,
        "description": "How imported reports are numbered.",
        "properties": {
            "keep_source_number": {
                "type": "boolean",
                "description": "true: the reference is the city's scheme with the source's number "
                "(the external id column, without prefix) in place of Vigie's: `DIJ-2019-48213`. "
                "false (default): Vigie numbers them.",
            }
        },
    },
)

_KIND = MappingKind(MAPPINGS_DIR, "mapping", MAPPING_SCHEMA)


@dataclass
class MappedRow:
    """One source record translated to Vigie's vocabulary (not yet checked)."""

    external_id: str
    service_code: str | None = None
    description: str = ""
    address: str = ""
    requested_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    status: str | None = None
    status_notes: str = ""
    lat: Any = None
    long: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    source_number: str | None = None  # the external id column's value, without prefix


@dataclass
class Mapping(SourceMapping):
    """A mapping of records to reports."""

    # Named apart from AssetMapping's own attributes, which derives from this class.
    report_attributes: dict[str, FieldSpec] = field(default_factory=dict)
    attribute_split: dict[str, str] = field(default_factory=dict)
    keep_source_number: bool = False
    refuse_closed_without_date: bool = False

    def columns(self) -> list[tuple[str, Any]]:
        used = super().columns()
        for code, spec in self.report_attributes.items():
            used.extend(spec.sources(("attributes", code)))
        return used

    def map_record(self, get: Getter, geometry: Any = None, default_tz: tzinfo = UTC) -> MappedRow:
        """Translate one record; raises :class:`RowError` naming the field at fault."""
        external_id = self.external_id(get)
        tz = self.timezone or default_tz
        values: dict[str, Any] = {}
        for target, extract, kind in self._plan:
            value = extract(get)
            if kind is _DATE:
                values[target] = self.parse_date(value, target, tz) if value else None
            elif kind is _TEXT:
                values[target] = value or ""
            elif kind is _STATUS and value is not None and value not in STATUSES:
                raise RowError("status", f"'{value}' is not a Vigie status (expected: {', '.join(STATUSES)})")
            else:  # service_code, status: None when missing
                values[target] = value
        if "requested_at" in values and values["requested_at"] is None:
            raise RowError("requested_at", "no date")
        row = MappedRow(external_id=external_id, **values)
        if row.closed_at is None and row.status in _CLOSED:
            if self.refuse_closed_without_date:
                raise RowError(
                    "closed_at",
                    f"no closing date for a closed record (status '{row.status}'; "
                    "closed_without_date: refuse)",
                )
            # None with neither date: the report is then closed when it is requested (inserts).
            row.closed_at = row.updated_at or row.requested_at
        for code, spec in self.report_attributes.items():
            split = self.attribute_split.get(code)
            if split:
                # value_map translates each value of the list, not the text holding them.
                raw = spec.raw(get)
                parts = [p.strip() for p in (raw or spec.default or "").split(split) if p.strip()]
                if parts:
                    row.attributes[code] = [spec.translate(p) if raw is not None else p for p in parts]
                continue
            value = spec.extract(get)
            if value is not None:
                row.attributes[code] = value
        if self.keep_source_number:
            number = get(self.external_id_column) or ""
            if len(number) > MAX_SOURCE_NUMBER:
                limit = MAX_SOURCE_NUMBER
                raise RowError("reference", f"the source's number '{number}' is over {limit} characters")
            row.source_number = number
        row.lat, row.long = self.location(get, geometry)
        return row

    @cached_property
    def _plan(self) -> list[tuple[str, Callable[[Getter], str | None], str]]:
        """Each field's target, its extraction specialised once (:meth:`FieldSpec.extractor`)
        and what its value is read as: the per-record work of :meth:`map_record`."""
        kinds = {"status": _STATUS, "service_code": _RAW}
        return [
            (target, spec.extractor(), _DATE if target in DATE_TARGETS else kinds.get(target, _TEXT))
            for target, spec in self.fields.items()
        ]

    def parse_date(self, value: str, target: str, tz: tzinfo) -> datetime:
        parsed = self.strptime(value)  # naive: the zone is added below
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise self.not_a_date(target, value) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise RowError(target, f"'{value}' is out of range") from None


# --- loading ---------------------------------------------------------------


bundled_mappings = _KIND.bundled  # () -> the names of the bundled mappings
resolve_mapping_path = _KIND.resolve  # (name or path) -> the file; ConfigurationError if none


def load_mapping(
    name_or_path: str | Path,
    service_codes: Iterable[str] | None = None,
    text: str | None = None,
) -> Mapping:
    """Load and validate a mapping. ``service_codes`` (the catalogue's) are checked when given."""
    loader = MappingLoader(_KIND.load(name_or_path, text))
    known = set(service_codes) if service_codes is not None else None
    fields: dict[str, FieldSpec] = {}
    for target, raw, where, spec in loader.field_specs(TARGETS):
        if spec is None:
            continue
        fields[target] = spec
        for p, v in loader.outputs(raw, where):
            if target == "status" and v not in STATUSES:
                loader.problem(p, f"'{v}' is not a Vigie status (expected: {', '.join(STATUSES)})")
            elif target == "service_code" and known is not None and v not in known:
                loader.problem(p, f"unknown service '{v}' (not in the catalogue)")
    attributes: dict[str, FieldSpec] = {}
    split: dict[str, str] = {}
    for code, raw in (loader.data.get("attributes") or {}).items():
        spec = loader.spec(f"attribute[{code}]", raw, ("attributes", code))
        if spec is not None:
            attributes[code] = spec
            if "split" in raw:
                split[code] = raw["split"]
    keep = bool((loader.data.get("reference") or {}).get("keep_source_number", False))
    refuse = loader.data.get("closed_without_date", "last_update") == "refuse"
    return loader.build(
        Mapping,
        fields,
        report_attributes=attributes,
        attribute_split=split,
        keep_source_number=keep,
        refuse_closed_without_date=refuse,
    )


__all__ = [
    "Mapping",
    "FieldSpec",
    "MappedRow",
    "RowError",
    "Getter",
    "MAX_EXTERNAL_ID",
    "load_mapping",
    "resolve_mapping_path",
    "bundled_mappings",
    "lookup",
    "parse_point",
    "point_of_geometry",
    "MAPPING_SCHEMA",
]
