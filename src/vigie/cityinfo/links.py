"""The directory of the city's external services (family portal, library account, permits…).

Configuration (``city_services``, YAML): groups of links, each with a title
and a description in French and English and an https address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vigie.errors import ConfigProblem, ConfigurationError


@dataclass(frozen=True)
class Link:
    url: str
    titles: dict[str, str]
    descriptions: dict[str, str]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["fr"]

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang) or self.descriptions.get("fr", "")


@dataclass(frozen=True)
class LinkGroup:
    titles: dict[str, str]
    links: list[Link]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["fr"]


def _texts(raw: Any, where: str, path: Path, required: bool = True) -> dict[str, str]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, dict) or not isinstance(raw.get("fr"), str):
        raise ConfigurationError(
            [ConfigProblem(str(path), None, where, "needs a French text (fr) and an English one (en)")]
        )
    return {str(k): str(v) for k, v in raw.items()}


def load_links(path: Path) -> list[LinkGroup]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            [ConfigProblem(str(path), None, "(file)", f"cannot be read: {exc}")]
        ) from None
    groups = []
    for i, g in enumerate(data.get("groups") or []):
        links = []
        for j, item in enumerate(g.get("links") or []):
            where = f"groups[{i}].links[{j}]"
            url = str(item.get("url", ""))
            if not url.startswith("https://"):
                raise ConfigurationError(
                    [ConfigProblem(str(path), None, f"{where}.url", f"'{url}' is not an https address")]
                )
            links.append(
                Link(
                    url,
                    _texts(item.get("title"), f"{where}.title", path),
                    _texts(item.get("description"), f"{where}.description", path, False),
                )
            )
        groups.append(LinkGroup(_texts(g.get("title"), f"groups[{i}].title", path), links))
    return groups


__all__ = ["Link", "LinkGroup", "load_links"]
