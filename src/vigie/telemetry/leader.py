"""One ingest per deployment: with several workers, only the lock holder subscribes to MQTT.

PostgreSQL: a session advisory lock (works across machines). SQLite: an
exclusive lock on a file beside the database (works across the workers of one
machine, the only place SQLite runs). Whoever holds it runs the ingest, the
simulator and the alarm timers; the others try again now and then and take
over if the holder dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
LOCK_KEY = 0x56494749  # "VIGI"


class Leadership:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._handle: Any = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        try:
            if self.url.startswith("postgresql"):
                self._handle = self._pg()
            else:
                self._handle = self._file()
        except Exception as exc:
            log.warning("could not take the ingest lock: %s", exc)
            self._handle = None
        return self._handle is not None

    def _pg(self) -> Any:
        import psycopg

        dsn = self.url.replace("postgresql+psycopg://", "postgresql://")
        conn = psycopg.connect(dsn, autocommit=True)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if row and row[0]:
            return conn
        conn.close()
        return None

    def _file(self) -> Any:
        import fcntl

        path = self.url.split("///", 1)[-1]
        if path in ("", ":memory:"):
            return object()  # one process only
        lock_path = Path(path + ".ingest-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return fd

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(Exception):
            if isinstance(handle, int):
                os.close(handle)  # closing the descriptor drops the flock
            elif hasattr(handle, "close"):
                handle.close()
