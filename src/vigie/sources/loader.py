"""Loading a declarative import mapping: a bundled name or a path, then checks.

Shared by the reports (:mod:`vigie.importer.mapping`) and assets
(:mod:`vigie.assets.mapping`) importers:

- :func:`mapping_schema` and :func:`field_schema` build their JSON Schemas
  from the common sections and field keys;
- :class:`MappingKind` finds a mapping (bundled in a directory, by name, or a
  path), parses it with lines kept and validates it against the schema;
- :class:`MappingLoader` makes the checks JSON Schema cannot (field sources,
  value_map keys, location, dates, encoding) and builds the mapping.

Every problem names the file, line and field at fault; all of them are
reported together, sorted by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.sources.mapping import FieldSpec, SourceMapping
from vigie.yamlfile import LocatedDocument, Path_, load_located, schema_problem

COLUMN: dict[str, Any] = {"type": "string", "minLength": 1}


def field_schema(scalar: str | list[str] = "string", **more: dict[str, Any]) -> dict[str, Any]:
    """The schema of one field: its sources, ``value_map`` and ``default``, plus ``more`` keys.

    ``scalar`` is the JSON type(s) of constants (``value``, ``value_map`` values,
    ``default``).
    """
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "column": {**COLUMN, "description": "The source column of the value."},
            "columns": {
                "type": "array",
                "minItems": 1,
                "items": COLUMN,
                "description": "Several columns, joined with `join`; missing and repeated parts left out.",
            },
            "join": {"type": "string", "description": "What joins `columns` (default a space)."},
            "value": {"type": scalar, "description": "A constant instead of a column."},
            "value_map": {
                "type": "object",
                "additionalProperties": {"type": scalar},
                "description": "Source value → Vigie value: the exact value first, then shorter and "
                "shorter prefixes cut at `join` (or `/`).",
            },
            "default": {
                "type": scalar,
                "description": "The value when the source is missing or not in `value_map`.",
            },
            **more,
        },
    }


def mapping_schema(
    title: str,
    fields: dict[str, Any],
    required: Sequence[str],
    *,
    timezone: bool = False,
    **sections: dict[str, Any],
) -> dict[str, Any]:
    """The JSON Schema of a mapping file.

    The source sections, ``fields`` (target -> field schema; ``required`` ones
    must be there), ``dates.timezone`` if the importer takes one, and the
    importer's own top-level ``sections``.
    """
    dates: dict[str, Any] = {
        "formats": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "minLength": 1},
            "description": 'strptime formats, e.g. `["%d/%m/%Y %H:%M"]`.',
        },
    }
    if timezone:
        dates["timezone"] = {
            "type": "string",
            "minLength": 1,
            "description": "The zone of dates written without one (default: the city's): `Europe/Paris`.",
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": ["external_id", "fields"],
        "properties": {
            "description": {"type": "string", "description": "What the mapping reads (free text)."},
            "format": {
                "enum": ["csv", "geojson"],
                "description": "The source's format; default: from the file's suffix "
                "(`.geojson`/`.json`: GeoJSON, else CSV).",
            },
            "csv": {
                "type": "object",
                "additionalProperties": False,
                "description": "How the CSV file is written.",
                "properties": {
                    "delimiter": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 1,
                        "description": "The field separator (default `,`).",
                    },
                    "encoding": {
                        "type": "string",
                        "minLength": 1,
                        "description": "The text encoding (default `utf-8-sig`, which also reads a BOM).",
                    },
                },
            },
            "external_id": {
                "type": "object",
                "additionalProperties": False,
                "required": ["column"],
                "description": "The source's own identifier: a record already imported is skipped, "
                "so running the same import twice creates nothing the second time.",
                "properties": {
                    "column": {**COLUMN, "description": "The column of the identifier."},
                    "prefix": {
                        "type": "string",
                        "maxLength": 64,
                        "description": "Put before the identifier (`sf311:`), to tell sources apart.",
                    },
                },
            },
            "null_values": {
                "type": "array",
                "items": {"type": "string"},
                "description": 'Values read as missing (an empty cell always is), e.g. `[NA, "-"]`.',
            },
            "dates": {
                "type": "object",
                "additionalProperties": False,
                "description": "How dates are read: the `formats` in turn, then ISO 8601.",
                "properties": dates,
            },
            "location": {
                "type": "object",
                "additionalProperties": False,
                "description": "Where the point is. `lat` and `long`: two columns of numbers. "
                '`point`: one column holding "(lat, long)", WKT `POINT (long lat)`, a GeoJSON '
                "geometry, or a JSON / Python-literal object such as `{'lon': 2.33, 'lat': 48.88}` "
                "(the shape is recognised per value). `keys` names an object's latitude and "
                "longitude keys when they are not the usual ones. Without `location`, a GeoJSON "
                "feature's Point geometry.",
                "properties": {
                    "lat": {**COLUMN, "description": "Column of the latitude."},
                    "long": {**COLUMN, "description": "Column of the longitude."},
                    "point": {**COLUMN, "description": "Column holding the whole point."},
                    "keys": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["lat", "long"],
                        "description": "With `point`: an object's keys, e.g. `{lat: y, long: x}`.",
                        "properties": {
                            "lat": {**COLUMN, "description": "The latitude's key."},
                            "long": {**COLUMN, "description": "The longitude's key."},
                        },
                    },
                },
            },
            "fields": {
                "type": "object",
                "additionalProperties": False,
                "required": list(required),
                "description": "Where each value comes from: a column, several columns or a constant.",
                "properties": fields,
            },
            **sections,
        },
    }


M = TypeVar("M", bound=SourceMapping)


class MappingKind:
    """The mappings of one importer: bundled ones in ``directory``, found by name, and a schema."""

    def __init__(self, directory: Path, noun: str, schema: dict[str, Any]) -> None:
        self.directory = directory
        self.noun = noun  # "mapping", "asset mapping": used in messages
        self.validator = Draft202012Validator(schema)

    def bundled(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.yaml"))

    def resolve(self, name_or_path: str | Path) -> Path:
        candidate = Path(name_or_path)
        if candidate.is_file():
            return candidate
        name = str(name_or_path)
        if re.fullmatch(r"[A-Za-z0-9_-]+", name):
            bundled = self.directory / f"{name}.yaml"
            if bundled.is_file():
                return bundled
        known = ", ".join(self.bundled()) or "none"
        raise ConfigurationError(
            [
                ConfigProblem(
                    name,
                    None,
                    "mapping",
                    f"no such {self.noun} file or bundled mapping (bundled: {known})",
                )
            ]
        )

    def load(self, name_or_path: str | Path, text: str | None = None) -> LocatedDocument:
        """The document, checked against the schema; ``text`` is read instead of the file if given."""
        path = Path(name_or_path) if text is not None else self.resolve(name_or_path)
        doc = load_located(path, text)
        if doc.data is None:
            raise ConfigurationError([ConfigProblem(doc.file, None, "(document)", "the mapping is empty")])
        errors = sorted(self.validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
        problems = [schema_problem(doc, e) for e in errors]
        if problems:
            raise ConfigurationError(sorted(problems, key=_by_line))
        return doc


def _by_line(problem: ConfigProblem) -> int:
    return problem.line or 0


def as_text(value: Any) -> str:
    """A YAML constant (string, number, boolean) as the text a column would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class MappingLoader:
    """The checks of a schema-valid mapping that JSON Schema cannot make.

    Problems are collected in :attr:`problems` and raised together, sorted by
    line, by :meth:`build`. Subclasses build richer specs in :meth:`make_spec`.
    """

    def __init__(self, doc: LocatedDocument) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.problems: list[ConfigProblem] = []

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def spec(self, target: str, raw: dict[str, Any], where: Path_) -> FieldSpec | None:
        """The spec of one field (None, with a problem, if its sources are wrong)."""
        sources = [k for k in ("column", "columns", "value") if k in raw]
        if len(sources) != 1:
            self.problem(
                where,
                "give exactly one of column, columns or value"
                + (f" (got {', '.join(sources)})" if sources else ""),
            )
            return None
        value_map = None
        if "value_map" in raw:
            value_map = {}
            for key, mapped in raw["value_map"].items():
                if isinstance(key, bool) or key is None:
                    self.problem(where + ("value_map", str(key)), f"YAML reads this key as {key!r}; quote it")
                    continue
                value_map[str(key).strip()] = as_text(mapped)
        return self.make_spec(
            raw,
            where,
            target=target,
            columns=(raw["column"],) if "column" in raw else tuple(raw.get("columns", ())),
            join=raw.get("join", " "),
            value=as_text(raw["value"]) if "value" in raw else None,
            value_map=value_map,
            default=as_text(raw["default"]) if "default" in raw else None,
            single_column="column" in raw,
        )

    def field_specs(
        self, targets: Iterable[str]
    ) -> Iterator[tuple[str, dict[str, Any], Path_, FieldSpec | None]]:
        """``(target, raw, where, spec)`` for each of ``targets`` that ``fields`` maps, in order."""
        for target in targets:
            raw = self.data["fields"].get(target)
            if raw is not None:
                where: Path_ = ("fields", target)
                yield target, raw, where, self.spec(target, raw, where)

    def make_spec(self, raw: dict[str, Any], where: Path_, **common: Any) -> FieldSpec:
        return FieldSpec(**common)

    def outputs(self, raw: dict[str, Any], where: Path_) -> list[tuple[Path_, str]]:
        """Every value the field can produce from its configuration, with where it is."""
        out: list[tuple[Path_, str]] = [
            (where + ("value_map", str(k)), as_text(v)) for k, v in (raw.get("value_map") or {}).items()
        ]
        out += [(where + (k,), as_text(raw[k])) for k in ("value", "default") if k in raw]
        return out

    def build(self, cls: type[M], fields: dict[str, FieldSpec], **more: Any) -> M:
        """Check the source sections, raise every problem found, else the mapping."""
        settings = self._source_settings()
        if self.problems:
            raise ConfigurationError(sorted(self.problems, key=_by_line))
        return cls(fields=fields, **settings, **more)

    def _source_settings(self) -> dict[str, Any]:
        data = self.data
        location = data.get("location", {})
        if location:
            has_point = "point" in location
            has_pair = "lat" in location or "long" in location
            if has_point and has_pair:
                self.problem(("location",), "give lat and long, or point, not both")
            elif has_pair and not ("lat" in location and "long" in location):
                missing = "long" if "lat" in location else "lat"
                self.problem(("location",), f"lat and long go together: {missing} is missing")
            if "keys" in location and not has_point:
                self.problem(("location", "keys"), "keys name the fields of a point column: give point too")
        elif "location" in data:
            self.problem(("location",), "give lat and long, or point")

        dates = data.get("dates") or {}
        tz: ZoneInfo | None = None
        if "timezone" in dates:  # only where the schema allows it
            try:
                tz = ZoneInfo(dates["timezone"])
            except Exception:  # ZoneInfo raises several types for a bad key
                self.problem(("dates", "timezone"), f"unknown time zone '{dates['timezone']}'")
        for i, fmt in enumerate(dates.get("formats", [])):
            if "%" not in fmt:
                self.problem(("dates", "formats", i), f"'{fmt}' is not a strptime format (e.g. %Y-%m-%d)")

        csv_cfg = data.get("csv", {})
        encoding = csv_cfg.get("encoding", "utf-8-sig")
        try:
            "".encode(encoding)
        except LookupError:
            self.problem(("csv", "encoding"), f"unknown encoding '{encoding}'")

        return {
            "source": self.doc.file,
            "external_id_column": data["external_id"]["column"],
            "external_id_prefix": data["external_id"].get("prefix", ""),
            "format": data.get("format"),
            "delimiter": csv_cfg.get("delimiter", ","),
            "encoding": encoding,
            "null_values": frozenset({""} | {v.strip() for v in data.get("null_values", [])}),
            "date_formats": tuple(dates.get("formats", ())),
            "timezone": tz,
            "lat_column": location.get("lat"),
            "long_column": location.get("long"),
            "point_column": location.get("point"),
            "point_keys": (location["keys"]["lat"], location["keys"]["long"]) if "keys" in location else None,
            "doc": self.doc,
        }


__all__ = [
    "COLUMN",
    "MappingKind",
    "MappingLoader",
    "as_text",
    "field_schema",
    "mapping_schema",
]
