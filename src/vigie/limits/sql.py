"""The database backend of the limits seam: one statement per operation.

PostgreSQL: the ``limit_counters`` table (UNLOGGED) of the main database,
through its autocommit pool: a count is one round trip, no transaction block.
SQLite: the same table in a file of its own next to the database
(``<database>-limits.db``, WAL), written through one connection per process
under a lock: counting never waits for the main database's single writer, and
processes sharing the database share this file too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateTable

from vigie.db import Database
from vigie.limits.storage import LimitCounterRow
from vigie.limits.store import Counter

PURGE_SECONDS = 60.0  # expired rows are deleted at most this often per process

# ``max``/``GREATEST``: the later of the stored allowance time and now. Every
# right-hand side sees the row as it was before the update (on both databases).
_TAKE = """
INSERT INTO limit_counters (key, count, value, expires_at)
VALUES ({key}, 1, {now} + {interval}, {now} + {interval})
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN {latest} + {interval} - {now} <= {period} THEN 1 ELSE 0 END,
  value = CASE WHEN {latest} + {interval} - {now} <= {period}
          THEN {latest} + {interval} ELSE limit_counters.value END,
  expires_at = CASE WHEN {latest} + {interval} - {now} <= {period}
          THEN {latest} + {interval} ELSE limit_counters.value END
RETURNING count, value
"""
_HIT = """
INSERT INTO limit_counters (key, count, value, expires_at)
VALUES ({key}, 1, {now}, {now} + {keep})
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN limit_counters.expires_at > {now} THEN limit_counters.count + 1 ELSE 1 END,
  value = {now},
  expires_at = {now} + {keep}
RETURNING count, value
"""
_PURGE = "DELETE FROM limit_counters WHERE expires_at < {now}"
_RESET = "DELETE FROM limit_counters WHERE key = {key}"
_READ = "SELECT key, count, value FROM limit_counters WHERE key IN ({keys}) AND expires_at > {now}"


def _sql(template: str, sqlite: bool, keys: int = 0) -> str:
    """A statement of this module with the parameter marks of the driver (values stay parameters)."""
    names = ("key", "now", "interval", "period", "keep", *(f"k{i}" for i in range(keys)))
    marks = {n: (f":{n}" if sqlite else f"%({n})s") for n in names}
    latest = f"{'max' if sqlite else 'GREATEST'}(limit_counters.value, {marks['now']})"
    in_list = ", ".join(marks[f"k{i}"] for i in range(keys))
    return " ".join(template.format(latest=latest, keys=in_list, **marks).split())


def side_file(url: str) -> Path:
    """The SQLite file of the counters of the database at ``url``."""
    path = Path(url.split("///", 1)[-1])
    return path.with_name(f"{path.stem}-limits.db")


class DatabaseLimitStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.dialect == "sqlite"
        self.take_sql = _sql(_TAKE, self.sqlite)
        self.hit_sql = _sql(_HIT, self.sqlite)
        self.purge_sql = _sql(_PURGE, self.sqlite)
        self.reset_sql = _sql(_RESET, self.sqlite)
        self.read_sql = {n: _sql(_READ, self.sqlite, n) for n in range(1, 9)}
        self.lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._next_purge = 0.0

    # --- one statement on the backend --------------------------------------------------

    def _sqlite(self) -> sqlite3.Connection:
        if self._conn is None:
            path = side_file(self.db.url)
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            table = cast(Table, LimitCounterRow.__table__)
            dialect = sqlite_dialect.dialect()
            conn.execute(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)))
            self._conn = conn
        return self._conn

    def _run(self, sql: str, params: dict[str, Any], fetch: bool = True) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with self.lock:
                cursor = self._sqlite().execute(sql, params)
                return cursor.fetchall() if fetch else []
        with self.db.one_statement_connection() as conn:
            result = conn.exec_driver_sql(sql, params)
            return [tuple(row) for row in result.fetchall()] if fetch else []

    def _purge(self, now: float) -> None:
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_SECONDS
        self._run(self.purge_sql, {"now": now}, False)

    # --- the seam --------------------------------------------------------------------

    def take(self, key: str, per_period: int, period: float, now: float | None = None) -> float:
        now = time.time() if now is None else now
        self._purge(now)
        interval = period / per_period
        params = {"key": key, "now": now, "interval": interval, "period": period}
        ((allowed, value),) = self._run(self.take_sql, params)
        return 0.0 if allowed else max(value + interval - now - period, 0.001)

    def hit(self, key: str, keep: float, now: float | None = None) -> Counter:
        now = time.time() if now is None else now
        self._purge(now)
        ((count, value),) = self._run(self.hit_sql, {"key": key, "now": now, "keep": keep})
        return Counter(int(count), float(value))

    def read(self, keys: list[str], now: float | None = None) -> dict[str, Counter]:
        if not keys:
            return {}
        now = time.time() if now is None else now
        out: dict[str, Counter] = {}
        for start in range(0, len(keys), 8):
            part = keys[start : start + 8]
            params: dict[str, Any] = {f"k{i}": k for i, k in enumerate(part)}
            params["now"] = now
            for k, c, v in self._run(self.read_sql[len(part)], params):
                out[k] = Counter(int(c), float(v))
        return out

    def reset(self, key: str) -> None:
        self._run(self.reset_sql, {"key": key}, False)

    def close(self) -> None:
        with self.lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
