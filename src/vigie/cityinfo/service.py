"""What the platform is configured with: the library's SRU endpoint and the services directory."""

from __future__ import annotations

from pathlib import Path

from vigie.cityinfo.library import SearchResult, search
from vigie.cityinfo.links import LinkGroup, load_links
from vigie.errors import NotFound
from vigie.runtime import Vigie

PER_PAGE = 20


def library_search(v: Vigie, words: str, page: int = 1) -> SearchResult:
    s = v.settings
    if not s.library_sru_url:
        raise NotFound("no library catalogue is configured (library_sru_url)")
    return search(
        s.library_sru_url,
        words,
        index=s.library_sru_index,
        schema=s.library_sru_schema,
        version=s.library_sru_version,
        limit=PER_PAGE,
        start=(page - 1) * PER_PAGE + 1,
    )


def service_links(v: Vigie) -> list[LinkGroup]:
    if not v.settings.city_services:
        return []
    found = v.caches.service_links
    if found is None:
        found = v.caches.service_links = load_links(Path(v.settings.city_services).expanduser())
    return found


__all__ = ["PER_PAGE", "library_search", "service_links"]
