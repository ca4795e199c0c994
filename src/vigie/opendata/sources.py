"""Where a dataset's rows come from: the source registry (the hook for other contexts).

A :class:`Source` builds the rows of one release as an Arrow table from live
data, with the columns it declares; the charter then decides what of them is
published. Vigie's own sources (residents' reports, lighting, equipment, KPIs)
are in :mod:`vigie.opendata.builtin`, files a city uploads (CSV, GeoJSON) in
:mod:`vigie.opendata.uploads`.

**Hook for other contexts.** A context that owns data worth publishing (the
authorised video-protection sites, the places of the gazetteer) registers a
source at start-up, from ``bootstrap.wire_contexts``::

    register_source(Source("videoprotection_sites", columns, build_sites))

where ``build_sites(v, dataset)`` returns a ``pyarrow.Table`` with those columns
(kinds tell the charter what they hold). A dataset is then created on that
source like any other, goes through the ethics review and the charter, and
reuse layers read its releases.

Registering is free: a source module imports pyarrow in its builders, which run
when a release is built, so that the web process does not load it at start
(docs/benchmarks.md, issue 15, the web process's memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigie.errors import ValidationFailed
from vigie.opendata.domain import Column

if TYPE_CHECKING:
    import pyarrow as pa

    from vigie.opendata.domain import Dataset
    from vigie.runtime import Vigie


@dataclass(frozen=True)
class Source:
    kind: str
    # The columns the source builds; None: declared by each dataset (uploaded files).
    columns: tuple[Column, ...] | None
    build: Callable[[Vigie, Dataset], pa.Table]
    # What the portal says of it.
    fr: str = ""
    en: str = ""


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    """Make ``source`` available to datasets (called once per kind, at start-up)."""
    _SOURCES[source.kind] = source


def source_of(kind: str) -> Source:
    if kind not in _SOURCES:
        raise ValidationFailed(
            f"unknown source {kind!r} (one of {', '.join(sorted(_SOURCES))})", field="source"
        )
    return _SOURCES[kind]


def sources() -> list[Source]:
    return [_SOURCES[k] for k in sorted(_SOURCES)]


def arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type of a column's declared type (``Column.type``)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
    }
    return types[type_name]


def schema_of(columns: tuple[Column, ...]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.type)) for c in columns])


def empty_batch(columns: tuple[Column, ...]) -> dict[str, list[object]]:
    return {c.name: [] for c in columns}
