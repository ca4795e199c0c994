"""Releases: built from live data or an upload, written as Parquet, read back by reusers."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from tests.opendata.helpers import CARPARK_COLUMNS, approve, carpark_csv, carpark_dataset, committee, create
from vigie.errors import Conflict, Forbidden, NotFound, ValidationFailed
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.queries import (
    published_datasets,
    read_release,
    release_path,
    releases,
)
from vigie.opendata.review import do_comment, do_decide, do_propose_rules, do_vote, proposals


def test_opendata_release_of_an_upload_is_a_parquet_file_reusers_read(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members, rows=300)

    first = do_release(vigie, publisher, "parkings")

    assert first.status == "published" and first.version == 1 and first.rows == 300
    table = read_release(vigie, "parkings")
    assert table.column_names == ["datetime", "parking", "pourcentage"]
    assert table.num_rows == 300
    assert set(table["parking"].to_pylist()) >= {"CLEMENCEAU", "DARCY"}
    # Coarsened to the hour by the rules the committee approved.
    assert all(t.minute == 0 and t.second == 0 for t in table["datetime"].to_pylist())
    assert pq.ParquetFile(release_path(vigie, "parkings")).metadata.num_rows == 300
    [published] = published_datasets(vigie)
    assert published.id == "parkings" and published.release.version == 1

    do_upload(vigie, publisher, "parkings", carpark_csv(400), "csv")
    second = do_release(vigie, publisher, "parkings")
    assert second.version == 2 and "400 rows (+100 since version 1)" in second.note
    assert read_release(vigie, "parkings").num_rows == 400
    assert read_release(vigie, "parkings", version=1).num_rows == 300
    assert [r.version for r in releases(vigie, "parkings")] == [2, 1]


def test_opendata_release_refused_before_the_committee_approves(vigie, make_agent):
    publisher = make_agent("supervisor")
    create(vigie, publisher, "parkings", columns=CARPARK_COLUMNS)
    do_upload(vigie, publisher, "parkings", carpark_csv(10), "csv")

    with pytest.raises(Conflict, match="ethics committee"):
        do_release(vigie, publisher, "parkings")
    with pytest.raises(NotFound):
        read_release(vigie, "parkings")
    assert published_datasets(vigie) == []


def test_opendata_publishing_needs_the_permission(vigie, make_agent):
    with pytest.raises(Forbidden):
        create(vigie, make_agent("operator"), "parkings", columns=CARPARK_COLUMNS)


def test_opendata_upload_that_does_not_fit_the_columns_is_refused_with_the_reason(vigie, make_agent):
    publisher = make_agent("supervisor")
    members = committee(vigie, make_agent)
    create(vigie, publisher, "parkings", columns=CARPARK_COLUMNS)
    approve(vigie, members, "parkings")

    with pytest.raises(ValidationFailed, match="no column"):
        do_upload(vigie, publisher, "parkings", b"when;where\n2023-01-01;x\n", "csv")
    bad = carpark_csv(3) + b"2023-06-20T17:00:00,DARCY,beaucoup\n"
    with pytest.raises(ValidationFailed, match="pourcentage"):
        do_upload(vigie, publisher, "parkings", bad, "csv")
    # Nothing was kept: a release has no file to read.
    with pytest.raises(ValidationFailed, match="no uploaded file"):
        do_release(vigie, publisher, "parkings")


def test_opendata_scheduled_release_only_when_its_frequency_is_due(vigie, make_agent):
    from vigie.opendata.actions import do_release_due

    members = committee(vigie, make_agent)
    carpark_dataset(vigie, make_agent("supervisor"), members, rows=20)  # DAILY

    [first] = do_release_due(vigie)
    assert first.status == "published" and first.trigger == "schedule"
    assert do_release_due(vigie) == []


@pytest.mark.parametrize(
    "text", ["Voir jean.dupont@example.org à ce sujet", "La riveraine (06 12 34 56 78) se plaint"]
)
def test_opendata_committee_public_record_refuses_contact_data(vigie, make_agent, text):
    """Summaries, comments and reasons are on the public committee page: an e-mail address or
    a phone number pasted from a report must not reach it."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    with pytest.raises(ValidationFailed, match="summary.*public"):
        create(vigie, publisher, "parkings", columns=CARPARK_COLUMNS, summary=text)
    create(vigie, publisher, "parkings", columns=CARPARK_COLUMNS)
    proposal = next(p for p in proposals(vigie, "parkings") if p.status == "open")
    with pytest.raises(ValidationFailed, match="body.*public"):
        do_comment(vigie, members[0], proposal.id, text)
    for m in members:
        do_vote(vigie, m, proposal.id, "approve")
    with pytest.raises(ValidationFailed, match="reasons.*public"):
        do_decide(vigie, members[0], proposal.id, text)
    with pytest.raises(ValidationFailed, match="summary.*public"):
        do_propose_rules(vigie, publisher, "parkings", {}, text)
    # Nothing was recorded by the refused calls.
    [left] = proposals(vigie, "parkings")
    assert left.status == "open" and left.summary == "" and not left.reasons


def test_opendata_new_dataset_summary_must_be_text(vigie, make_agent):
    with pytest.raises(ValidationFailed, match="summary must be text"):
        create(vigie, make_agent("supervisor"), "parkings", columns=CARPARK_COLUMNS, summary={"a": 1})
