"""Retention of open data files: superseded releases and uploads do not stay for ever.

A published release superseded by a newer one for more than
``VIGIE_RETENTION_RELEASE_DAYS`` has its file deleted and is marked ``expired``
(its changelog line stays: version, date, rows, SHA-256); the latest release of a
dataset is always kept. Uploaded files other than a dataset's current one go
after the same time.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from vigie.db import utcnow
from vigie.opendata.queries import release_store
from vigie.opendata.storage import ReleaseRow
from vigie.runtime import Vigie


def do_expire_releases(v: Vigie, days: int) -> dict[str, int]:
    if days <= 0:
        return {"releases": 0, "uploads": 0}
    cutoff = utcnow() - timedelta(days=days)
    store = release_store(v)
    expired = 0
    with v.db.session(write=True) as s:
        rows = list(
            s.scalars(
                select(ReleaseRow)
                .where(ReleaseRow.status.in_(("published", "expired")))
                .order_by(ReleaseRow.dataset_id, ReleaseRow.version)
            )
        )
        keys: list[str] = []
        for row, successor in zip(rows, rows[1:], strict=False):
            # Superseded (a newer version of the same dataset) for longer than the period.
            if (
                row.status == "published"
                and successor.dataset_id == row.dataset_id
                and successor.created_at < cutoff
            ):
                row.status = "expired"
                keys.append(row.file_key)
                expired += 1
        s.commit()
    for key in keys:
        store.delete(key)  # after commit: a crash leaves a file without its row, never the reverse
    # Imported here: the uploads module parses files with pyarrow (~60 MB), which the
    # web process importing the retention job must not load at start.
    from vigie.opendata.uploads import current_upload

    uploads = 0
    root = v.settings.data_dir / "opendata" / "uploads"
    if root.is_dir():
        limit = time.time() - days * 86_400
        for folder in root.iterdir():
            current = current_upload(v, folder.name)
            for f in folder.iterdir():
                if f.name == "current" or f == current or not f.is_file():
                    continue
                if f.stat().st_mtime < limit:
                    f.unlink(missing_ok=True)
                    uploads += 1
    return {"releases": expired, "uploads": uploads}
