"""Library catalogue search over SRU 1.2 / 2.0 (searchRetrieve), the protocol French catalogues expose.

The endpoint is configured (``library_sru_url``); the query is CQL built from
what the resident typed (``<index> all "<words>"``, the index configurable:
``dc.title``, ``bib.anywhere``…), records are asked in Dublin Core
(``recordSchema``, default ``dc``) and read as title, creators, date,
publisher, type and identifier. Diagnostics of the server become a clear
answer, a server that does not answer in time or answers something else is a
502 naming it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx

from vigie.errors import VigieError

MAX_BYTES = 5 * 1024 * 1024
DC = "http://purl.org/dc/elements/1.1/"
DIAG = "http://www.loc.gov/zing/srw/diagnostic/"


class CatalogueUnavailable(VigieError):
    status = 502
    code = "bad_gateway"
    title = "The library catalogue did not answer"


@dataclass(frozen=True)
class Book:
    title: str
    creators: list[str] = field(default_factory=list)
    date: str = ""
    publisher: str = ""
    type: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class SearchResult:
    total: int
    books: list[Book]


def cql(words: str, index: str) -> str:
    cleaned = " ".join(words.replace('"', " ").replace("\\", " ").split())
    return f'{index} all "{cleaned}"'


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_response(body: bytes) -> SearchResult:
    try:
        root = ET.fromstring(body)  # noqa: S314 - expat expands no external entity; size capped
    except ET.ParseError as exc:
        raise CatalogueUnavailable(f"the catalogue answered something that is not SRU XML ({exc})") from None
    if _local(root.tag) != "searchRetrieveResponse":
        raise CatalogueUnavailable(
            f"the catalogue answered <{_local(root.tag)}>, not an SRU searchRetrieveResponse"
        )
    for diag in root.iter(f"{{{DIAG}}}diagnostic"):
        message = diag.findtext(f"{{{DIAG}}}message") or diag.findtext(f"{{{DIAG}}}details") or "error"
        raise CatalogueUnavailable(f"the catalogue refused the search: {message}")
    total = 0
    books: list[Book] = []
    for el in root:
        if _local(el.tag) == "numberOfRecords" and (el.text or "").strip().isdigit():
            total = int((el.text or "0").strip())
    for record in root.iter():
        if _local(record.tag) != "recordData":
            continue
        values: dict[str, list[str]] = {}
        for child in record.iter():
            if child.tag.startswith(f"{{{DC}}}") and (child.text or "").strip():
                values.setdefault(_local(child.tag), []).append(" ".join(child.text.split()))  # type: ignore[union-attr]
        if not values.get("title"):
            continue
        first = {k: v[0] for k, v in values.items()}
        books.append(
            Book(
                first["title"],
                values.get("creator", []),
                first.get("date", ""),
                first.get("publisher", ""),
                first.get("type", ""),
                first.get("identifier", ""),
            )
        )
    return SearchResult(total, books)


def search(
    url: str,
    words: str,
    *,
    index: str,
    schema: str,
    version: str,
    limit: int = 20,
    start: int = 1,
    timeout: float = 8.0,
) -> SearchResult:
    params = {
        "operation": "searchRetrieve",
        "version": version,
        "query": cql(words, index),
        "recordSchema": schema,
        "maximumRecords": str(limit),
        "startRecord": str(start),
    }
    try:
        with httpx.stream("GET", url, params=params, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise CatalogueUnavailable(f"the catalogue answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise CatalogueUnavailable("the catalogue's answer is too large")
    except httpx.HTTPError as exc:
        raise CatalogueUnavailable(f"the catalogue cannot be reached ({type(exc).__name__})") from None
    return parse_response(body)


__all__ = ["Book", "CatalogueUnavailable", "SearchResult", "cql", "parse_response", "search"]
