"""One read-only DuckDB over published releases: what the records API, exports and the data lab run on.

Each connection sees only the Parquet files it is opened on (``allowed_paths``),
with ``enable_external_access`` off, no extension installed or loaded, and its
configuration locked before any user text runs: no other file, no network, no
``COPY``/``ATTACH``/``INSTALL``, no ``SET`` that would lift a limit. Each release
is a view named after its dataset. A statement that runs past its time is
interrupted; memory and threads are capped per connection, and nothing is
spilled to disk.

duckdb is imported by the functions that open or run a connection: the app imports
this module (its routes and ODSQL use it) at start, and loads DuckDB (~35 MB) with
the first query (docs/benchmarks.md, issue 15, the web process's memory).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigie.errors import BadRequest, ServiceUnavailable

# ``run`` reads its results with ``execute`` then ``to_arrow_table`` on purpose (see there).
warnings.filterwarnings(
    "ignore",
    message="Arrow output on a DB-API result makes an extra copy",
    category=UserWarning,
    module=__name__,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


class QueryTimeout(ServiceUnavailable):
    """The statement ran past its time budget and was interrupted."""


def quote(name: str) -> str:
    """A SQL identifier, quoted (names come from the catalogue or were checked by a parser)."""
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def sandbox(
    views: Mapping[str, Path], *, memory_mb: int = 256, threads: int = 1
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A locked connection where each ``views`` name reads its Parquet file and nothing else."""
    import duckdb

    conn = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": threads,
            "memory_limit": f"{memory_mb}MB",
            # No spilling: past its memory a query is refused, instead of writing temporary
            # files into the server's working directory (DuckDB's default, ``.tmp``).
            "temp_directory": "",
        },
    )
    try:
        paths = [str(p) for p in views.values()]
        listed = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
        conn.execute(f"SET allowed_paths = {listed}")
        conn.execute("SET enable_external_access = false")
        for name, path in views.items():
            literal = "'" + str(path).replace("'", "''") + "'"
            conn.execute(f"CREATE VIEW {quote(name)} AS SELECT * FROM read_parquet({literal})")  # noqa: S608 - quoted identifier and literal of our own paths
        conn.execute("SET lock_configuration = true")
        yield conn
    finally:
        conn.close()


# Seconds between two interrupts of a statement past its time.
REPEAT = 0.1


class _Deadlines:
    """One thread that interrupts the statements that run past their deadline.

    A timer thread per statement cost a records answer the start of a thread, waited for
    (12 % of a cold answer's samples under load, docs/benchmarks.md). Past its deadline an
    action runs, then again every ``REPEAT`` seconds until cancelled; it runs under the lock,
    so once ``cancel`` returns it will not run again: a late interrupt cannot stop the
    connection's next statement.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._actions: dict[int, Callable[[], None]] = {}
        self._numbers = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, seconds: float, action: Callable[[], None]) -> int:
        with self._cond:
            n = next(self._numbers)
            heapq.heappush(self._heap, (time.monotonic() + seconds, n))
            self._actions[n] = action
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="duckdb-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][1] == n:
                self._cond.notify()
            return n

    def cancel(self, n: int) -> None:
        with self._cond:
            self._actions.pop(n, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._actions:
                    heapq.heappop(self._heap)  # cancelled: its statement ended in time
                if not self._heap:
                    self._cond.wait()
                    continue
                when, n = self._heap[0]
                if when > time.monotonic():
                    self._cond.wait(when - time.monotonic())
                    continue
                # Again every REPEAT seconds until cancelled: an interrupt that comes before DuckDB
                # starts the statement (its parsing and binding run first) is lost.
                heapq.heapreplace(self._heap, (time.monotonic() + REPEAT, n))
                self._actions[n]()


_DEADLINES = _Deadlines()


@contextmanager
def time_limit(conn: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[None]:
    """Interrupt the connection's running statement after ``seconds``."""
    import duckdb

    fired = threading.Event()

    def stop() -> None:
        fired.set()
        conn.interrupt()

    deadline = _DEADLINES.add(seconds, stop)
    try:
        yield
    except duckdb.InterruptException:
        raise QueryTimeout(f"the query ran longer than {seconds:g} s and was stopped") from None
    finally:
        _DEADLINES.cancel(deadline)
    if fired.is_set():
        raise QueryTimeout(f"the query ran longer than {seconds:g} s and was stopped")


def run(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None, *, seconds: float = 10.0
) -> pa.Table:
    """Run ``sql`` within the time budget, its rows as Arrow; DuckDB's errors become 400s naming them.

    ``execute`` parses and binds the statement once as it runs it; ``sql(…).to_arrow_table()``
    parsed it, bound it for the relation, then parsed and bound it again to run it (0.4 ms of a
    records answer's ~5 ms of CPU, docs/benchmarks.md). Its Arrow is read back from the result
    through a statement of the client's (the "extra copy" it warns of, filtered below): a few
    microseconds for a page, and the results read this way are pages, counts and groups; the
    exports, which may be the whole release, stream through ``stream``.
    """
    with _translated(conn, seconds):
        conn.execute(sql, params or None)
        table: pa.Table = conn.to_arrow_table()
        return table


def stream(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None, *, batch: int = 20_000
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The rows of ``sql`` in batches, read as they are consumed (exports).

    The statement is started and its first batch read here, so that what DuckDB finds only
    while reading rows (a text compared to a number, a date that is not one, a limit past
    BIGINT) is a 400 before the first byte of the answer, not a stream cut after its 200.
    """
    with _translated(conn, 600.0):
        reader = conn.sql(sql, params=params or None).to_arrow_reader(batch)
        batches = iter(reader)
        first = next(batches, None)
    return reader.schema, itertools.chain([] if first is None else [first], batches)


@contextmanager
def _translated(conn: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[None]:
    import duckdb
    import pyarrow as pa  # loaded with the first answer: DuckDB hands rows over as Arrow

    with time_limit(conn, seconds):
        try:
            yield
        except duckdb.InterruptException:
            raise
        except (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException) as exc:
            raise BadRequest(f"query refused: {_first_line(exc)}") from None
        except duckdb.PermissionException as exc:
            raise BadRequest(f"query refused: {_first_line(exc)}") from None
        except duckdb.OutOfMemoryException:
            raise BadRequest("the query needs more memory than allowed: filter or aggregate more") from None
        except duckdb.Error as exc:
            raise BadRequest(f"query failed: {_first_line(exc)}") from None
        except pa.ArrowInvalid as exc:  # DuckDB's error, as the Arrow reader of its rows hands it over
            raise BadRequest(f"query failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


__all__ = ["QueryTimeout", "quote", "run", "sandbox", "stream", "time_limit"]
