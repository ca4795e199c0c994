"""Retention of open data files: superseded releases go, the latest stays; uploads never
published go after their own period."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.opendata.helpers import CARPARK_COLUMNS, carpark_csv, carpark_dataset, committee, create
from vigie.accounts.actions import do_create_login
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.queries import dataset_of, read_release, release_path, releases
from vigie.opendata.staging import do_publish_staged, do_stage_upload, staging_dir
from vigie.opendata.storage import ReleaseRow
from vigie.opendata.uploads import build_upload, current_upload
from vigie.retention import run_retention
from vigie.web.deps import SESSION_COOKIE


def test_opendata_retention_expires_superseded_release_files_only(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=10)
    do_release(vigie, publisher, "parkings")
    old_file = release_path(vigie, "parkings", 1)
    do_upload(vigie, publisher, "parkings", carpark_csv(20), "csv")
    do_release(vigie, publisher, "parkings")
    # Version 2 came out 400 days ago: version 1 has been superseded for longer than a year.
    with vigie.db.session(write=True) as s:
        s.execute(update(ReleaseRow).values(created_at=utcnow() - timedelta(days=400)))
        s.commit()

    done = run_retention(vigie)

    assert done["opendata_files"]["releases"] == 1
    assert not old_file.exists()
    with pytest.raises(NotFound):
        read_release(vigie, "parkings", version=1)
    assert read_release(vigie, "parkings").num_rows == 20  # the latest is always kept
    assert [r.status for r in releases(vigie, "parkings")] == ["published", "expired"]
    assert run_retention(vigie)["opendata_files"]["releases"] == 0


def _age(path, days: float) -> None:  # type: ignore[no-untyped-def]
    then = time.time() - days * 86_400
    os.utime(path, (then, then))


def test_opendata_retention_removes_uploads_never_published(vigie, make_agent, client):
    """A staged file never published, and a dataset's file no release was built from (its
    committee never approved it), go after VIGIE_RETENTION_UNPUBLISHED_UPLOAD_DAYS; a
    published dataset's current file stays."""
    days = vigie.settings.retention_unpublished_upload_days
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=10)
    do_release(vigie, publisher, "parkings")
    create(vigie, publisher, "attente", columns=CARPARK_COLUMNS, rules={})  # never approved
    do_upload(vigie, publisher, "attente", carpark_csv(5), "csv")
    staged = do_stage_upload(vigie, publisher, carpark_csv(7), "occupation.csv")
    pending = current_upload(vigie, "attente")
    kept = current_upload(vigie, "parkings")
    staged_files = sorted(staging_dir(vigie).iterdir())
    assert pending and kept and len(staged_files) == 2 and staged.key in staged_files[0].name
    # The page tells the publisher when the unpublished file goes; the published one stays.
    session, _ = do_create_login(vigie.db, publisher, "session", 1)
    client.cookies.set(SESSION_COOKIE, session)
    page = client.get("/donnees/gestion/fichiers")
    removal = datetime.fromtimestamp(pending.stat().st_mtime, tz=UTC) + timedelta(days=days)
    assert f"non publié : supprimé le {removal.astimezone(vigie.city.timezone):%d/%m/%Y}" in page.text
    assert page.text.count("non publié") == 1 and "<td>publié</td>" in page.text

    assert run_retention(vigie)["opendata_unpublished_uploads"] == {"staged": 0, "uploads": 0}
    for path in (pending, kept, *staged_files):
        _age(path, days + 1)
    done = run_retention(vigie)

    assert done["opendata_unpublished_uploads"] == {"staged": 2, "uploads": 1}
    assert not pending.exists() and current_upload(vigie, "attente") is None
    assert not any(p.exists() for p in staged_files)
    assert kept.exists() and current_upload(vigie, "parkings") == kept  # a release was built from it
    with pytest.raises(NotFound):
        do_publish_staged(vigie, publisher, staged.key, {})
    with pytest.raises(ValidationFailed, match="no uploaded file"):
        build_upload(vigie, dataset_of(vigie, "attente"))


def test_opendata_retention_of_unpublished_uploads_can_be_turned_off(vigie_settings, make_agent):
    from vigie.bootstrap import build_vigie

    v = build_vigie(vigie_settings.model_copy(update={"retention_unpublished_upload_days": 0}))
    try:
        staged = do_stage_upload(v, make_agent("supervisor"), carpark_csv(7), "occupation.csv")
        path = staging_dir(v) / f"{staged.key}.csv"
        _age(path, 10_000)
        assert run_retention(v)["opendata_unpublished_uploads"] == {"staged": 0, "uploads": 0}
        assert path.exists()
    finally:
        v.db.dispose()
