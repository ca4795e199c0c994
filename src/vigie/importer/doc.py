"""The mapping reference of docs/import.md, generated from the mapping's JSON Schema.

``make settings-doc`` rewrites the table between the markers; a meta-test
checks that the file holds what the schema says, so adding a key to the schema
is one change.
"""

from __future__ import annotations

from typing import Any

from vigie.docsection import rewrite_section, with_section
from vigie.importer.mapping import MAPPING_SCHEMA

KEYS_START = "<!-- mapping keys: generated from vigie/importer/mapping.py by `make settings-doc` -->"
KEYS_END = "<!-- end of mapping keys -->"


def _type_of(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = schema.get("items", {})
        return f"list of {_type_of(items)}" if items else "list"
    extra = schema.get("additionalProperties")
    if kind == "object" and "properties" not in schema and isinstance(extra, dict):
        return f"map of {_type_of(schema['additionalProperties']) or 'values'}"
    return str(kind)


def _rows(schema: dict[str, Any], prefix: str, leaf: bool = False) -> list[str]:
    rows = []
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        need = "yes" if key in required else ""
        meaning = str(sub.get("description", "")).replace("|", "\\|")
        rows.append(f"| `{path}` | {_type_of(sub)} | {need} | {meaning} |")
        if path == "fields":  # every target takes the same keys: list them once
            targets = sub["properties"]
            rows += _rows({"properties": targets, "required": sub.get("required", [])}, "fields.", leaf=True)
            rows += _rows(next(iter(targets.values())), "fields.<target>.")
        elif "properties" in sub and not leaf:
            rows += _rows(sub, path + ".")
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra and not leaf:
            rows += _rows(extra, path + ".<code>.")
    return rows


def mapping_keys_markdown() -> str:
    """The table of every key a reports mapping may hold."""
    head = ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
    return "\n".join(head + _rows(MAPPING_SCHEMA, "")) + "\n"


def with_keys_table(doc: str) -> str:
    """``doc`` (docs/import.md) with its table of keys regenerated from the schema."""
    return with_section(doc, KEYS_START, KEYS_END, mapping_keys_markdown())


def update_keys_doc(path: str) -> None:
    rewrite_section(path, KEYS_START, KEYS_END, mapping_keys_markdown())


__all__ = ["KEYS_END", "KEYS_START", "mapping_keys_markdown", "update_keys_doc", "with_keys_table"]
