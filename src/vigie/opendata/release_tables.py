"""Published releases loaded once into read-only DuckDBs: what the records API and OGC API query.

Opening a DuckDB and decoding a release's Parquet file at every request cost
more than the query itself on large releases (docs/benchmarks.md). Here each
release's rows are loaded once into an in-memory DuckDB — external access off,
no extension, configuration locked, like ``explore_engine.sandbox`` — and each
request runs on its own cursor. The table ``__release`` has the rows with
``__fid``, their position in the release (1, 2, …: the OGC API's feature ids);
a view named after the dataset shows the release's own columns (the records
API's ODSQL reads it). A few releases are kept, the most recently used; a new
release of a dataset replaces its older one. Above ``LOAD_MAX_ROWS`` rows the
table is a view on the Parquet file instead (read at each request).

A published release never changes, so an answer computed on it (a total count,
a page of groups) is a pure function of the release and the normalised query:
each loaded release keeps its answers in a bounded LRU (``Answers``) that goes
with it when it is replaced or evicted, so a new release is never answered from
an older one's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from vigie.opendata.explore_engine import quote
from vigie.opendata.queries import Release

TABLE = "__release"
FID = "__fid"
LOAD_MAX_ROWS = 2_000_000
# Answers kept per loaded release: each is a count or a page of at most 100 rows.
ANSWERS_KEPT = 512


class Answers:
    """A release's computed answers by key (its normalised query), the ``size`` most recently used kept."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The answer kept for ``key``, or ``compute()``'s, kept (a failure is not)."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        # Computed outside the lock: two requests missing at once both compute the same answer.
        value = compute()
        with self._lock:
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._kept)


@dataclass
class _Loaded:
    conn: duckdb.DuckDBPyConnection
    # What callers computed once per release (the OGC API's extent), by name.
    memo: dict[str, Any] = field(default_factory=dict)
    # The records API's answers (counts, pages of groups) by normalised query.
    answers: Answers = field(default_factory=Answers)
    # Closing a connection ends its cursors: an evicted release is closed by its last reader.
    users: int = 0
    evicted: bool = False


class ReleaseTables:
    """A locked read-only DuckDB per release, its rows loaded once; the ``keep`` last used kept."""

    def __init__(self, keep: int = 4, memory_mb: int = 1024, answers_kept: int = ANSWERS_KEPT) -> None:
        self.keep = keep
        self.memory_mb = memory_mb
        self.answers_kept = answers_kept
        self._loaded: OrderedDict[tuple[str, int, str], _Loaded] = OrderedDict()
        self._lock = threading.Lock()

    def _load(self, release: Release, path: Path) -> _Loaded:
        conn = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": 1,
                "memory_limit": f"{self.memory_mb}MB",
            },
        )
        literal = "'" + str(path).replace("'", "''") + "'"
        source = f"read_parquet({literal}, file_row_number = true)"
        select = f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {FID} FROM {source}"  # noqa: S608 - our own path
        kind = "TABLE" if release.rows <= LOAD_MAX_ROWS else "VIEW"
        conn.execute(f"CREATE {kind} {TABLE} AS {select}")
        conn.execute(f"CREATE VIEW {quote(release.dataset_id)} AS SELECT * EXCLUDE ({FID}) FROM {TABLE}")  # noqa: S608 - a slug, quoted
        conn.execute("SET TimeZone = 'UTC'")  # casts between moments and UTC timestamps
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
        return _Loaded(conn, answers=Answers(self.answers_kept))

    def _acquire(self, release: Release, path: Path) -> _Loaded:
        key = (release.dataset_id, release.version, release.sha256)
        with self._lock:
            found = self._loaded.get(key)
            if found is not None:
                self._loaded.move_to_end(key)
            else:
                found = self._load(release, path)
                self._loaded[key] = found
                stale = [k for k in self._loaded if k[0] == key[0] and k != key]
                while len(self._loaded) - len(stale) > self.keep:
                    stale.append(next(k for k in self._loaded if k not in stale))
                for k in stale:
                    self._evict(self._loaded.pop(k))
            found.users += 1
            return found

    @staticmethod
    def _evict(loaded: _Loaded) -> None:
        loaded.evicted = True
        if loaded.users == 0:
            loaded.conn.close()

    def _let_go(self, loaded: _Loaded) -> None:
        with self._lock:
            loaded.users -= 1
            if loaded.evicted and loaded.users == 0:
                loaded.conn.close()

    @contextmanager
    def _using(self, release: Release, path: Path) -> Iterator[tuple[_Loaded, duckdb.DuckDBPyConnection]]:
        loaded = self._acquire(release, path)
        try:
            cur = loaded.conn.cursor()
            try:
                yield loaded, cur
            finally:
                cur.close()
        finally:
            self._let_go(loaded)

    @contextmanager
    def cursor(self, release: Release, path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._using(release, path) as (_, cur):
            yield cur

    @contextmanager
    def query(self, release: Release, path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, Answers]]:
        """A cursor on the release and the answers kept for it (see ``Answers``)."""
        with self._using(release, path) as (loaded, cur):
            yield cur, loaded.answers

    def memo(
        self, release: Release, path: Path, name: str, compute: Callable[[duckdb.DuckDBPyConnection], Any]
    ) -> Any:
        """``compute(cursor)`` once per release (e.g. its extent), then its remembered value."""
        with self._using(release, path) as (loaded, cur):
            if name not in loaded.memo:
                loaded.memo[name] = compute(cur)
            return loaded.memo[name]

    def loaded(self) -> int:
        """How many releases are loaded now."""
        return len(self._loaded)

    def close(self) -> None:
        with self._lock:
            for loaded in self._loaded.values():
                self._evict(loaded)
            self._loaded.clear()


def release_tables(v: Any) -> ReleaseTables:
    """The platform's one cache (``v.caches.release_tables``), made on first use."""
    if v.caches.release_tables is None:
        v.caches.release_tables = ReleaseTables()
    tables: ReleaseTables = v.caches.release_tables
    return tables


__all__ = ["ANSWERS_KEPT", "FID", "LOAD_MAX_ROWS", "TABLE", "Answers", "ReleaseTables", "release_tables"]
