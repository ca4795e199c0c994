"""Retention of open data files: superseded releases and uploads do not stay for ever.

A published release superseded by a newer one for more than
``VIGIE_RETENTION_RELEASE_DAYS`` has its file deleted and is marked ``expired``
(its changelog line stays: version, date, rows, SHA-256); the latest release of a
dataset is always kept. Uploaded files other than a dataset's current one go
after the same time.

A file uploaded but never published goes after
``VIGIE_RETENTION_UNPUBLISHED_UPLOAD_DAYS``: a staged file (read and previewed, never
published), and a dataset's file that no release was built from — its current one
included, with its marker, so a dataset the committee never approved does not keep
the city's file for ever. A file counts as published once a release of its dataset
was built after it was stored (a release reads the dataset's current file). The
staff's page of files shows the date each such file will go (``unpublished_removal``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from vigie.db import utcnow
from vigie.opendata.queries import release_store
from vigie.opendata.storage import ReleaseRow
from vigie.runtime import Vigie

STAGING = "_staging"  # staging.STAGING (that module loads pyarrow)


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
            if folder.name == STAGING:  # never published: do_expire_unpublished_uploads
                continue
            current = current_upload(v, folder.name)
            for f in folder.iterdir():
                if f.name == "current" or f == current or not f.is_file():
                    continue
                if f.stat().st_mtime < limit:
                    f.unlink(missing_ok=True)
                    uploads += 1
    return {"releases": expired, "uploads": uploads}


def _published_at(v: Vigie) -> dict[str, float]:
    """When each dataset's newest release was built (epoch seconds), for those with one."""
    with v.db.session() as s:
        found = s.execute(
            select(ReleaseRow.dataset_id, func.max(ReleaseRow.created_at))
            .where(ReleaseRow.status.in_(("published", "expired")))
            .group_by(ReleaseRow.dataset_id)
        ).all()
    return {dataset_id: at.timestamp() for dataset_id, at in found if at is not None}


def _unpublished(path: Path, published_at: float | None) -> bool:
    return published_at is None or published_at < path.stat().st_mtime


def unpublished_removal(v: Vigie, path: Path, published_at: datetime | None = None) -> datetime | None:
    """When ``path`` (an uploaded or staged file) will be removed for never having been
    published, or None (published since, or the period is 0: kept)."""
    days = v.settings.retention_unpublished_upload_days
    if days <= 0 or not path.is_file():
        return None
    if published_at is not None and not _unpublished(path, published_at.timestamp()):
        return None
    stored = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return stored + timedelta(days=days)


def do_expire_unpublished_uploads(v: Vigie, days: int) -> dict[str, int]:
    """Remove uploaded files nothing was published from for ``days``: staged files, and
    datasets' files no release was built from since (a current one with its marker)."""
    from vigie.opendata.uploads import current_upload  # lazily, as do_expire_releases does

    done = {"staged": 0, "uploads": 0}
    root = v.settings.data_dir / "opendata" / "uploads"
    if days <= 0 or not root.is_dir():
        return done
    limit = time.time() - days * 86_400
    published = _published_at(v)
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        staging = folder.name == STAGING
        marker = folder / "current"
        current = None if staging else current_upload(v, folder.name)
        for f in folder.iterdir():
            if f == marker or not f.is_file() or f.stat().st_mtime >= limit:
                continue
            if staging or _unpublished(f, published.get(folder.name)):
                f.unlink(missing_ok=True)
                done["staged" if staging else "uploads"] += 1
                if f == current:
                    marker.unlink(missing_ok=True)
    return done
