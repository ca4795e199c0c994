"""Reading datasets and their published releases: what every access layer builds on.

Exports, the records API, the DCAT catalogue, OGC API Features and the data
lab read published releases only, through these functions:

- :func:`published_datasets` — the datasets with at least one published release,
  each with its metadata, columns and latest release (:class:`Published`);
- :func:`latest_release` / :func:`release_of` — one release's record
  (version, rows, bytes, SHA-256, created_at, columns, changelog note);
- :func:`release_path` — the Parquet file of a release on local disk (DuckDB's
  ``read_parquet``, ``pyarrow.parquet.ParquetFile`` for streaming);
- :func:`read_release` — its rows as an Arrow table (optionally some columns).

A blocked release has no file and is never returned by these functions; an
unpublished dataset raises ``NotFound`` like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select

from vigie.db import Prepared
from vigie.errors import NotFound
from vigie.opendata.domain import (
    Column,
    ColumnKind,
    Dataset,
    Metadata,
    metadata_from_json,
    rules_from_json,
)
from vigie.opendata.files import ReleaseStore, make_release_store
from vigie.opendata.storage import DatasetRow, ReleaseRow
from vigie.runtime import Vigie

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Release:
    dataset_id: str
    version: int
    rows: int
    bytes: int
    sha256: str
    created_at: datetime
    columns: list[dict[str, Any]]
    note: str
    file_key: str


@dataclass(frozen=True)
class Published:
    dataset: Dataset
    release: Release  # the latest published release

    @property
    def id(self) -> str:
        return self.dataset.id

    @property
    def metadata(self) -> Metadata:
        return self.dataset.metadata


def release_store(v: Vigie) -> ReleaseStore:
    return make_release_store(v.settings.data_dir)


def to_dataset(row: DatasetRow) -> Dataset:
    columns = tuple(
        Column(c["name"], c["type"], ColumnKind(c["kind"]), c.get("fr", ""), c.get("en", ""))
        for c in row.columns
    )
    return Dataset(
        id=row.id,
        metadata=metadata_from_json(row.metadata_),
        source=row.source,
        params=row.params or {},
        columns=columns,
        status=row.status,
        rules=rules_from_json(row.rules, columns) if row.rules is not None else None,
        rules_version=row.rules_version,
    )


def to_release(row: Any) -> Release:
    return Release(
        dataset_id=row.dataset_id,
        version=row.version,
        rows=row.rows,
        bytes=row.bytes,
        sha256=row.sha256,
        created_at=row.created_at,
        columns=row.columns,
        note=row.note,
        file_key=row.file_key,
    )


def dataset_of(v: Vigie, dataset_id: str) -> Dataset:
    """Any dataset, published or not (for its publishers and the committee)."""
    with v.db.session() as s:
        row = s.get(DatasetRow, dataset_id)
        if row is None:
            raise NotFound(f"no dataset {dataset_id!r}")
        return to_dataset(row)


def all_datasets(v: Vigie) -> list[Dataset]:
    with v.db.session() as s:
        return [to_dataset(r) for r in s.scalars(select(DatasetRow).order_by(DatasetRow.id))]


def _published_rows(dataset_id: str | None = None) -> Any:
    latest = (
        select(ReleaseRow.dataset_id, func.max(ReleaseRow.version).label("version"))
        .where(ReleaseRow.status == "published")
        .group_by(ReleaseRow.dataset_id)
    )
    if dataset_id is not None:
        latest = latest.where(ReleaseRow.dataset_id == dataset_id)
    sub = latest.subquery()
    return (
        select(DatasetRow, ReleaseRow)
        .join(sub, sub.c.dataset_id == DatasetRow.id)
        .join(ReleaseRow, (ReleaseRow.dataset_id == sub.c.dataset_id) & (ReleaseRow.version == sub.c.version))
        .order_by(DatasetRow.id)
    )


def published_datasets(v: Vigie) -> list[Published]:
    with v.db.session() as s:
        return [Published(to_dataset(d), to_release(r)) for d, r in s.execute(_published_rows()).all()]


def published_dataset(v: Vigie, dataset_id: str) -> Published:
    with v.db.session() as s:
        found = s.execute(_published_rows(dataset_id)).first()
    if found is None:
        raise NotFound(f"no published dataset {dataset_id!r}")
    return Published(to_dataset(found[0]), to_release(found[1]))


def _published_release_statement() -> Any:
    # Release's fields, in their order (``published_release`` makes it from the row as it is).
    r = ReleaseRow.__table__.c
    return (
        select(
            r.dataset_id, r.version, r.rows, r.bytes, r.sha256, r.created_at, r.columns, r.note, r.file_key
        )
        .where(r.dataset_id == bindparam("dataset_id"), r.status == "published")
        .order_by(r.version.desc())
        .limit(1)
    )


# Built and compiled once, run on the driver's cursor: building it at each request cost a records
# answer as much as running it, and SQLAlchemy's execution (its BEGIN on SQLite, the result
# objects) three times the statement (docs/benchmarks.md, records API, 2026-12-07).
_PUBLISHED_RELEASE = Prepared(_published_release_statement())


def published_release(v: Vigie, dataset_id: str) -> Release:
    """The latest published release of a dataset, read alone: one statement, no ORM objects.

    What a records request needs of the database (which release, hence which loaded rows,
    kept answers and ETag); ``published_dataset`` reads the dataset's metadata and rules too,
    and cost the records API more than its answer (docs/benchmarks.md).
    """
    with v.db.one_statement_connection() as conn:
        found = _PUBLISHED_RELEASE.first_row(conn, {"dataset_id": dataset_id})
    if found is None:
        raise NotFound(f"no published dataset {dataset_id!r}")
    return Release(*found)


def latest_release(v: Vigie, dataset_id: str) -> Release:
    return published_dataset(v, dataset_id).release


def release_of(v: Vigie, dataset_id: str, version: int | None = None) -> Release:
    if version is None:
        return latest_release(v, dataset_id)
    with v.db.session() as s:
        row = s.scalars(
            select(ReleaseRow).where(
                ReleaseRow.dataset_id == dataset_id,
                ReleaseRow.version == version,
                ReleaseRow.status == "published",
            )
        ).first()
        if row is None:
            raise NotFound(f"dataset {dataset_id!r} has no published version {version}")
        return to_release(row)


def releases(v: Vigie, dataset_id: str) -> list[ReleaseRow]:
    """Every release of a dataset, blocked ones included, newest first (the public changelog)."""
    with v.db.session() as s:
        rows = list(
            s.scalars(
                select(ReleaseRow).where(ReleaseRow.dataset_id == dataset_id).order_by(ReleaseRow.id.desc())
            )
        )
        for r in rows:
            s.expunge(r)
        return rows


def release_path(v: Vigie, dataset_id: str, version: int | None = None) -> Path:
    """The Parquet file of a published release (the latest one without ``version``)."""
    return release_store(v).local_path(release_of(v, dataset_id, version).file_key)


def read_release(
    v: Vigie, dataset_id: str, version: int | None = None, columns: list[str] | None = None
) -> pa.Table:
    """The rows of a published release (memory-mapped: a large file is not copied)."""
    # Imported here: the web process loads pyarrow (~60 MB) only when it reads a release.
    import pyarrow.parquet as pq

    return pq.read_table(release_path(v, dataset_id, version), columns=columns, memory_map=True)


def time_field(p: Published) -> str | None:
    """The release's date field: the dataset's first column of kind time, else its first date or
    timestamp column."""
    types = {c["name"]: str(c["type"]).lower() for c in p.release.columns}
    timed = [n for n, t in types.items() if t.startswith(("timestamp", "date"))]
    declared = [c.name for c in p.dataset.columns if c.kind == ColumnKind.TIME and c.name in timed]
    return (declared or timed or [None])[0]


def time_span(v: Vigie, p: Published) -> tuple[date, date] | None:
    """The first and last days of the release's date field, moments read in the city's time zone
    (the DCAT catalogue's ``dct:temporal``); ``None`` without such a field or a value in it."""
    name = time_field(p)
    if name is None:
        return None
    path = release_store(v).local_path(p.release.file_key)
    return _span(str(path), p.release.sha256, name, v.city.timezone.key)


@lru_cache(maxsize=256)  # a release never changes: its span is computed once per process
def _span(path: str, sha256: str, name: str, zone: str) -> tuple[date, date] | None:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    found = pc.min_max(pq.read_table(path, columns=[name], memory_map=True).column(name)).as_py()
    low, high = found["min"], found["max"]
    if low is None or high is None:
        return None

    def day(value: date) -> date:
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # a naive moment is UTC
            return aware.astimezone(ZoneInfo(zone)).date()
        return value

    return day(low), day(high)


def first_published(v: Vigie) -> dict[str, datetime]:
    """When each dataset's first published release was made (the DCAT catalogue's ``dct:issued``)."""
    with v.db.session() as s:
        rows = s.execute(
            select(ReleaseRow.dataset_id, func.min(ReleaseRow.created_at))
            .where(ReleaseRow.version.is_not(None))
            .group_by(ReleaseRow.dataset_id)
        ).all()
    return {dataset_id: created for dataset_id, created in rows}
