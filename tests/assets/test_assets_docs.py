"""docs/assets.md keeps up with the registry and the bundled mappings."""

from __future__ import annotations

from pathlib import Path

from vigie.assets.mapping import bundled_mappings
from vigie.assets.types import ASSET_TYPES, STATUSES

DOC = Path(__file__).resolve().parents[2] / "docs" / "assets.md"


def test_docs_assets_names_every_type_attribute_link_and_status() -> None:
    text = DOC.read_text(encoding="utf-8")
    for t in ASSET_TYPES.values():
        assert f"`{t.code}`" in text, t.code
        for name in t.attributes:
            assert f"`{name}`" in text, f"{t.code}.{name}"
        for link in t.links:
            assert f"`links.{link}`" in text, f"{t.code}.{link}"
    for status in STATUSES:
        assert f"`{status}`" in text, status
    for mapping in bundled_mappings():
        assert f"mappings/{mapping}.yaml" in text, mapping
