"""Retention of open data files: superseded releases go, the latest stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.opendata.helpers import carpark_csv, carpark_dataset, committee
from vigie.db import utcnow
from vigie.errors import NotFound
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.queries import read_release, release_path, releases
from vigie.opendata.storage import ReleaseRow
from vigie.retention import run_retention


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
