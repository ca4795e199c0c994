"""Declarative mappings of address files other than the BAN's CSV.

A mapping says which columns (CSV) or properties (GeoJSON) hold the house
number, the street, the postcode, the commune code and name, or, for named
places such as tram stops (``kind: poi``), the place's name and category.
Points come from the GeoJSON geometry or ``location`` columns, as for the
other importers (:mod:`vigie.sources.mapping`). A commune left out of
the mapping is the city profile's zone that holds the point. Bundled mappings
live in ``addresses/mappings/`` (``vigie import addresses FILE --mapping NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigie.sources.loader import MappingKind, MappingLoader, field_schema, mapping_schema
from vigie.sources.mapping import FieldSpec, Getter, SourceMapping
from vigie.yamlfile import Path_

TARGETS = ("housenumber", "street", "name", "category", "postcode", "citycode", "city")
KINDS = ("housenumber", "poi")


def _schema() -> dict[str, Any]:
    schema = mapping_schema(
        "Vigie address mapping",
        {t: field_schema() for t in TARGETS},
        required=(),
        kind={"enum": list(KINDS)},
    )
    # Address ids are made from commune, street and number: no external id.
    schema["properties"].pop("external_id")
    schema["required"] = ["fields"]
    return schema


@dataclass
class AddressMapping(SourceMapping):
    kind: str = "housenumber"

    def columns(self) -> list[tuple[str, Path_]]:
        return [(c, where) for c, where in super().columns() if c]

    def values(self, get: Getter) -> dict[str, str | None]:
        return {target: spec.extract(get) for target, spec in self.fields.items()}


class _Loader(MappingLoader):
    def _source_settings(self) -> dict[str, Any]:
        data = self.data
        self.data = {**data, "external_id": {"column": ""}}
        try:
            return super()._source_settings()
        finally:
            self.data = data


def load_address_mapping(name_or_path: str | Path, text: str | None = None) -> AddressMapping:
    kind = MappingKind(Path(__file__).parent / "mappings", "address mapping", _schema())
    loader = _Loader(kind.load(name_or_path, text))
    fields: dict[str, FieldSpec] = {}
    for target, _raw, _where, spec in loader.field_specs(TARGETS):
        if spec is not None:
            fields[target] = spec
    what = loader.data.get("kind", "housenumber")
    needed = ("housenumber", "street") if what == "housenumber" else ("name",)
    for target in needed:
        if target not in loader.data["fields"]:
            loader.problem(("fields",), f"a mapping of kind {what} needs fields.{target}")
    return loader.build(AddressMapping, fields, kind=what)


__all__ = ["AddressMapping", "KINDS", "TARGETS", "load_address_mapping"]
