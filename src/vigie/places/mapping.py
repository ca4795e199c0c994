"""Declarative mappings of points-of-interest files (CSV or GeoJSON) to places.

A mapping says which columns (CSV) or properties (GeoJSON) hold a place's
name, theme, category, address, description, phone, website and opening
hours; points come from the geometry or ``location`` columns, as for every
import (:mod:`vigie.sources.mapping`). ``external_id`` is optional: without it
a place's id is made from its name and position, stable while they are.
Bundled mappings live in ``places/mappings/``
(``vigie import places FILE --mapping NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigie.places.themes import THEMES
from vigie.sources.loader import MappingKind, MappingLoader, field_schema, mapping_schema
from vigie.sources.mapping import FieldSpec, Getter, SourceMapping
from vigie.yamlfile import Path_

TARGETS = ("name", "theme", "category", "address", "commune", "description", "phone", "website", "hours")


def _schema() -> dict[str, Any]:
    schema = mapping_schema(
        "Vigie places mapping", {t: field_schema() for t in TARGETS}, required=("name", "theme")
    )
    schema["required"] = ["fields"]
    return schema


@dataclass
class PlaceMapping(SourceMapping):
    def columns(self) -> list[tuple[str, Path_]]:
        return [(c, where) for c, where in super().columns() if c]

    def values(self, get: Getter) -> dict[str, str | None]:
        return {target: spec.extract(get) for target, spec in self.fields.items()}


class _Loader(MappingLoader):
    def _source_settings(self) -> dict[str, Any]:
        data = self.data
        if "external_id" not in data:
            self.data = {**data, "external_id": {"column": ""}}
        try:
            return super()._source_settings()
        finally:
            self.data = data


def load_place_mapping(name_or_path: str | Path, text: str | None = None) -> PlaceMapping:
    kind = MappingKind(Path(__file__).parent / "mappings", "places mapping", _schema())
    loader = _Loader(kind.load(name_or_path, text))
    fields: dict[str, FieldSpec] = {}
    for target, raw, where, spec in loader.field_specs(TARGETS):
        if spec is None:
            continue
        fields[target] = spec
        if target == "theme":
            for at, value in loader.outputs(raw, where):
                if value not in THEMES:
                    loader.problem(at, f"'{value}' is not a theme ({', '.join(THEMES)})")
    return loader.build(PlaceMapping, fields)


__all__ = ["PlaceMapping", "TARGETS", "load_place_mapping"]
