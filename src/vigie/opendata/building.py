"""Which releases are being built: one build of a dataset at a time, and the staff page says so.

A build holds an exclusive lock on ``<data_dir>/opendata/building/<dataset>.lock``
(``flock``: released by the system if the process dies, so no stale "building" is left
behind) and writes the moment it started into it. A second request to build the same
dataset while one runs, from a staff member's click or the schedule, finds the lock held
and builds nothing. The lock is per machine, like the release files of the local store it
protects.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from vigie.db import utcnow
from vigie.runtime import Vigie


def _lock_path(v: Vigie, dataset_id: str) -> Path:
    return v.settings.data_dir / "opendata" / "building" / f"{dataset_id}.lock"


@contextlib.contextmanager
def build_lock(v: Vigie, dataset_id: str) -> Iterator[bool]:
    """Hold the build of ``dataset_id`` (True), or False if another build holds it."""
    path = _lock_path(v, dataset_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            f.seek(0)
            f.truncate()
            f.write(utcnow().isoformat())
            f.flush()
            yield True
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


def building_since(v: Vigie, dataset_id: str) -> datetime | None:
    """When the build of ``dataset_id`` under way started, or None if none is."""
    path = _lock_path(v, dataset_id)
    if not path.is_file():
        return None
    with path.open("r", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = f.read().strip()
            try:
                return datetime.fromisoformat(text) if text else utcnow()
            except ValueError:
                return utcnow()
        fcntl.flock(f, fcntl.LOCK_UN)
        return None
