"""Where release files live: the release store seam.

A published release is one Parquet file, written once and never changed
(a new release is a new file). The store hands out *keys*
(``<dataset>/<version>.parquet``); :class:`LocalReleaseStore` keeps them
under ``<data_dir>/opendata/releases``. Readers that need a path on disk
(DuckDB, pyarrow's memory-mapped reads) ask :meth:`ReleaseStore.local_path`:
an object-storage store would download the file to a local cache there and
upload it in :meth:`ReleaseStore.put`, and nothing else changes.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

# Row groups of this many rows: small enough to page a records API and to skip by
# statistics, large enough for good compression.
ROW_GROUP = 128 * 1024


class ReleaseStore(Protocol):
    def put(self, key: str, table: pa.Table) -> tuple[int, str]:
        """Write ``table`` as Parquet under ``key`` (atomically); its size and SHA-256."""
        ...

    def local_path(self, key: str) -> Path:
        """A path where the file can be read (for DuckDB, pyarrow)."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalReleaseStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        # Resolved once: each resolve() is a system call per part of the path, and every
        # records request asks for its release's path (docs/benchmarks.md).
        self._resolved = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self._resolved / key).resolve()
        if self._resolved not in path.parents:
            raise ValueError(f"release key outside the store: {key!r}")
        return path

    def put(self, key: str, table: pa.Table) -> tuple[int, str]:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        # Imported here: only a release build writes Parquet; the web process should
        # not load pyarrow (~60 MB) because the release store is reachable from it.
        import pyarrow.parquet as pq

        pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP, write_statistics=True)
        digest = hashlib.sha256()
        with tmp.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        size = tmp.stat().st_size
        os.replace(tmp, path)  # readers see the whole file or none
        return size, digest.hexdigest()

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def order_column(table: pa.Table) -> str | None:
    """The column a release's rows are stored by, newest first: its first moment (timestamp or
    date) column without NULLs, or ``None`` (the rows stay in the source's order).

    The records API loads a release in this order too (``release_tables``), so that its pages
    and the exports of the file list rows that tie in the same order.
    """
    import pyarrow as pa  # a release build's and a loaded release's, not the web process's import

    for f, column in zip(table.schema, table.columns, strict=True):
        if (pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)) and column.null_count == 0:
            return f.name
    return None


def newest_first(table: pa.Table) -> pa.Table:
    """``table``'s rows by ``order_column`` descending, ties in their order (a stable sort)."""
    column = order_column(table)
    return table if column is None else table.sort_by([(column, "descending")])


def release_key(dataset_id: str, version: int) -> str:
    return f"{dataset_id}/{version}.parquet"


@functools.lru_cache(maxsize=16)
def make_release_store(data_dir: Path) -> ReleaseStore:
    """The store under ``data_dir``, one per data directory (it holds its resolved root)."""
    return LocalReleaseStore(data_dir / "opendata" / "releases")
