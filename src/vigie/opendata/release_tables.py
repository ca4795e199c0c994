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
table is a view on the Parquet file instead (read at each request). The loaded
rows are stored newest first by the release's first moment column without NULLs
(``stored_by``): a page ordered by it is then a scan that stops after its rows,
not a sort of every matching row (``explore_records``). A loaded table's ``rowid``
is a row's place in that order (``positioned``): a scan can start at a row
instead of the table's first.

A published release never changes, so an answer computed on it (a total count,
a records answer's encoded bytes) is a pure function of the release and the
normalised query: each loaded release keeps its answers in an LRU bounded in
bytes (``Answers``) that goes with it when it is replaced or evicted, so a new
release is never answered from an older one's, and the memory they take is at
most ``keep`` × ``answers_bytes``.

duckdb is imported when a release is first loaded, as in ``explore_engine``.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigie.opendata.explore_engine import quote
from vigie.opendata.queries import Release

if TYPE_CHECKING:
    import duckdb

TABLE = "__release"
FID = "__fid"
LOAD_MAX_ROWS = 2_000_000
# Text columns with at most this many distinct values (HyperLogLog's estimate) are loaded as ENUMs.
ENUM_MAX_VALUES = 10_000
# Bytes of answers kept per loaded release (a records page of 100 rows is ~30 kB encoded).
ANSWERS_BYTES = 16 * 1024 * 1024
# What an entry costs besides its value's bytes: the key's text, the LRU's node, the objects.
ENTRY_OVERHEAD = 200


def _size(key: Hashable, value: Any) -> int:
    if isinstance(value, bytes | str):
        held = len(value)
    elif isinstance(value, dict):  # a field's counts, or its rows' positions, by value
        held = sum(
            len(str(k)) + ENTRY_OVERHEAD + (v.itemsize * len(v) if isinstance(v, array) else 0)
            for k, v in value.items()
        )
    else:
        held = 0
    return held + len(repr(key)) + ENTRY_OVERHEAD


class Answers:
    """A release's computed answers by key (its normalised query), the most recently used kept.

    Bounded by the bytes they hold (``budget``): an answer of bytes counts its length, a dict
    its keys and an overhead each, any value its key and an overhead; one larger than the
    budget is not kept.
    """

    def __init__(self, budget: int = ANSWERS_BYTES) -> None:
        self.budget = budget
        self._kept: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        # A lock per answer being computed by ``shared``: its other askers wait for it.
        self._computing: dict[Hashable, threading.Lock] = {}

    def find(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, answer)`` if kept for ``key`` (now the most recently used), else ``(False, None)``."""
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return False, None
            self._kept.move_to_end(key)
            return True, found[0]

    def keep(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` as ``key``'s answer, dropping the least recently used past the budget."""
        size = _size(key, value)
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._held -= old[1]
            if size > self.budget:
                return
            self._kept[key] = (value, size)
            self._held += size
            while self._held > self.budget:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._held -= dropped

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The answer kept for ``key``, or ``compute()``'s, kept (a failure is not)."""
        found, value = self.find(key)
        if found:
            return value
        # Computed outside the lock: two requests missing at once both compute the same answer.
        value = compute()
        self.keep(key, value)
        return value

    def shared(self, key: Hashable, compute: Callable[[], Any]) -> tuple[bool, Any]:
        """``(True, answer)`` if kept for ``key``, else ``(False, compute())``, kept: computed once
        while the requests that ask for it meanwhile wait (a field's checkpoints cost a scan of
        every row, which eight requests on a new release would otherwise all run at once)."""
        found, value = self.find(key)
        if found:
            return True, value
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            found, value = self.find(key)
            if found:
                return True, value
            try:
                value = compute()
                self.keep(key, value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return False, value

    @property
    def held(self) -> int:
        """The bytes the kept answers count for (never above ``budget``)."""
        return self._held

    def __len__(self) -> int:
        return len(self._kept)


def _columns_and_order(conn: duckdb.DuckDBPyConnection, parquet: str) -> tuple[str, str | None]:
    """The release's columns to load — its text columns of few distinct values cast to ENUMs —
    and the column its rows are stored by (newest first): its first moment column without NULLs.

    ENUMs: filters, groups and sorts on them compare small integers instead of strings (several
    times faster on the records API's queries: docs/benchmarks.md). What queries see is the
    same: an ENUM compares with a text as the text would (a value it does not hold matches no
    row), sorts in its values' order (sorted as texts here), reads back as text and gives
    Arrow a dictionary of texts. Each ENUM's values are read from the file's column alone,
    and the rows are cast as they are loaded (altering the loaded table took 4× longer).

    The stored order (``files.order_column``'s, which new release files are written in): a page
    ordered by that column is read off a filtered scan instead of sorting every matching row
    (``explore_records``); a column with NULLs is not taken, as a reversed scan would put its
    NULLs first where ``ORDER BY … ASC`` puts them last.
    """
    described = conn.execute(f"DESCRIBE SELECT * FROM read_parquet({parquet})").fetchall()  # noqa: S608 - our own path
    texts = [row[0] for row in described if row[1] == "VARCHAR"]
    moments = [row[0] for row in described if row[1].startswith(("TIMESTAMP", "DATE"))]
    measured = [f"approx_count_distinct({quote(n)})" for n in texts]
    measured += [f"count(*) - count({quote(n)})" for n in moments]
    found: tuple[Any, ...] = ()
    if measured:
        found = conn.execute(f"SELECT {', '.join(measured)} FROM read_parquet({parquet})").fetchall()[0]  # noqa: S608 - quoted names
    distinct = dict(zip(texts, found[: len(texts)], strict=True))
    nulls = dict(zip(moments, found[len(texts) :], strict=True))
    few = {name for name in texts if distinct[name] <= ENUM_MAX_VALUES}
    order = next((name for name in moments if nulls[name] == 0), None)
    out = []
    for i, row in enumerate(described):
        column = quote(row[0])
        if row[0] not in few:
            out.append(column)
            continue
        conn.execute(
            f"CREATE TYPE __enum_{i} AS ENUM (SELECT DISTINCT {column} FROM read_parquet({parquet}) "  # noqa: S608 - quoted names, our own path
            f"WHERE {column} IS NOT NULL ORDER BY 1)"
        )
        out.append(f"CAST({column} AS __enum_{i}) AS {column}")
    return ", ".join(out), order


class Reading:
    """A request's use of a loaded release: its kept answers, and a cursor taken when first needed.

    An answer found kept needs no cursor. A cursor is a DuckDB connection of its own: made
    and closed at each request it cost a cold answer ~5 % of its CPU (docs/benchmarks.md,
    records API, 2026-12-07 evening), so the release keeps the cursors no request is using
    (``idle``) and a request takes one of them, or makes one, and gives it back. At most as
    many as requests ran at once on the release; they end with its connection.
    ``stored_by``: the column the release's rows are stored by, newest first (``None``: the
    file's order), which a scan without ``ORDER BY`` follows. ``positioned``: the rows are a
    loaded ``TABLE`` whose ``rowid`` is their place in that order (not a view on the file,
    and no column of the release is itself named ``rowid``, which would hide it).
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        answers: Answers,
        stored_by: str | None = None,
        positioned: bool = False,
        idle: list[duckdb.DuckDBPyConnection] | None = None,
    ) -> None:
        self.answers = answers
        self.stored_by = stored_by
        self.positioned = positioned
        self._conn = conn
        self._idle = [] if idle is None else idle
        self._cursor: duckdb.DuckDBPyConnection | None = None

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self._cursor is None:
            try:
                # list.pop and append are atomic: no lock for the requests sharing the list.
                self._cursor = self._idle.pop()
            except IndexError:
                self._cursor = self._conn.cursor()
        return self._cursor

    def close(self) -> None:
        """Give the cursor back (DuckDB clears an interrupt when its next statement starts)."""
        if self._cursor is not None:
            self._idle.append(self._cursor)
            self._cursor = None


@dataclass
class _Loaded:
    conn: duckdb.DuckDBPyConnection
    # What callers computed once per release (the OGC API's extent), by name.
    memo: dict[str, Any] = field(default_factory=dict)
    # The records API's answers (totals, encoded answers) by normalised query.
    answers: Answers = field(default_factory=Answers)
    # The column the rows are stored by, in descending order (``None``: the file's order).
    stored_by: str | None = None
    # ``rowid`` is a row's place in the stored order (``Reading.positioned``).
    positioned: bool = False
    # The records API's cursors no request is using (``Reading``).
    idle: list[duckdb.DuckDBPyConnection] = field(default_factory=list)
    # Closing a connection ends its cursors: an evicted release is closed by its last reader.
    users: int = 0
    evicted: bool = False


class ReleaseTables:
    """A locked read-only DuckDB per release, its rows loaded once; the ``keep`` last used kept."""

    def __init__(self, keep: int = 4, memory_mb: int = 1024, answers_bytes: int = ANSWERS_BYTES) -> None:
        self.keep = keep
        self.memory_mb = memory_mb
        self.answers_bytes = answers_bytes
        self._loaded: OrderedDict[tuple[str, int, str], _Loaded] = OrderedDict()
        self._lock = threading.Lock()

    def _load(self, release: Release, path: Path) -> _Loaded:
        import duckdb

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
        kind = "TABLE" if release.rows <= LOAD_MAX_ROWS else "VIEW"
        columns, order = "* EXCLUDE (file_row_number)", None
        if kind == "TABLE":
            columns, order = _columns_and_order(conn, literal)
        select = f"SELECT {columns}, file_row_number + 1 AS {FID} FROM {source}"  # noqa: S608 - our own path, quoted names
        if order is not None:
            # Newest first (what reusers ask most), ties in the file's order: one order for
            # every page, which DuckDB keeps in a scan without ORDER BY (one thread, insertion
            # order preserved). A file written in that order (files.newest_first) stays as it is.
            select += f" ORDER BY {quote(order)} DESC, file_row_number"
        conn.execute(f"CREATE {kind} {TABLE} AS {select}")
        names = [row[0].lower() for row in conn.execute(f"DESCRIBE {TABLE}").fetchall()]
        positioned = kind == "TABLE" and "rowid" not in names
        conn.execute(f"CREATE VIEW {quote(release.dataset_id)} AS SELECT * EXCLUDE ({FID}) FROM {TABLE}")  # noqa: S608 - a slug, quoted
        conn.execute("SET TimeZone = 'UTC'")  # casts between moments and UTC timestamps
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
        return _Loaded(conn, answers=Answers(self.answers_bytes), stored_by=order, positioned=positioned)

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
    def query(self, release: Release, path: Path) -> Iterator[Reading]:
        """The answers kept for the release, and a cursor on it made when first needed."""
        loaded = self._acquire(release, path)
        reading = Reading(loaded.conn, loaded.answers, loaded.stored_by, loaded.positioned, loaded.idle)
        try:
            yield reading
        finally:
            try:
                reading.close()
            finally:
                self._let_go(loaded)

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


__all__ = [
    "ANSWERS_BYTES",
    "ENTRY_OVERHEAD",
    "FID",
    "LOAD_MAX_ROWS",
    "TABLE",
    "Answers",
    "Reading",
    "ReleaseTables",
    "release_tables",
]
