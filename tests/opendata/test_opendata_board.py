"""The staff's releases board and the on-demand build: every dataset (built-in and uploaded)
with its latest release, status and schedule; one build of a dataset at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.opendata.helpers import CARPARK_COLUMNS, approve, carpark_csv, carpark_dataset, committee, create
from vigie.db import utcnow
from vigie.errors import Conflict, Forbidden, NotFound
from vigie.opendata.actions import do_release, do_release_due, do_release_on_demand, do_upload
from vigie.opendata.board import release_board
from vigie.opendata.building import build_lock, building_since


def test_opendata_board_lists_builtin_and_uploaded_datasets_with_their_state(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "eclairage", source="lighting")
    approve(vigie, members, "eclairage")
    carpark_dataset(vigie, publisher, members)
    published = do_release(vigie, publisher, "parkings")
    # Every (time, car park) pair is one row: k-anonymity on both blocks the release.
    create(
        vigie,
        publisher,
        "bloque",
        columns=CARPARK_COLUMNS,
        rules={"quasi_identifiers": ["datetime", "parking"]},
    )
    do_upload(vigie, publisher, "bloque", carpark_csv(50), "csv")
    approve(vigie, members, "bloque")
    blocked = do_release(vigie, publisher, "bloque")
    create(vigie, publisher, "attente", columns=CARPARK_COLUMNS)
    now = utcnow()

    board = {e.dataset.id: e for e in release_board(vigie, now)}

    assert set(board) == {"eclairage", "parkings", "bloque", "attente"}
    light = board["eclairage"]
    assert (light.source("fr"), light.source("en")) == (
        "Inventaire de l'éclairage public",
        "Street lighting inventory",
    )
    assert light.latest is None and light.releasable and light.next_due == now  # daily, never released
    parks = board["parkings"]
    assert parks.latest.status == "published" and parks.published.version == 1
    assert parks.next_due == published.created_at + timedelta(days=1) and not parks.under_review
    assert [r.id for r in parks.history] == [published.id]
    stuck = board["bloque"]
    assert stuck.latest.id == blocked.id and stuck.latest.status == "blocked" and stuck.published is None
    assert stuck.latest.reason.startswith("k-anonymity")
    waiting = board["attente"]
    assert waiting.under_review and not waiting.releasable and waiting.next_due is None
    assert all(e.building_since is None for e in board.values())


def test_opendata_board_on_demand_release_builds_nothing_while_one_is_built(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    carpark_dataset(vigie, publisher, members)

    with build_lock(vigie, "parkings") as held:
        assert held and building_since(vigie, "parkings") is not None
        assert do_release_on_demand(vigie, publisher, "parkings") is None
        assert do_release_due(vigie) == []  # the schedule leaves it to the build under way
        with build_lock(vigie, "parkings") as again:
            assert not again
    assert building_since(vigie, "parkings") is None

    row = do_release_on_demand(vigie, publisher, "parkings")
    assert row is not None and (row.status, row.version, row.trigger) == ("published", 1, "demand")
    assert [e.latest.id for e in release_board(vigie, utcnow()) if e.dataset.id == "parkings"] == [row.id]


def test_opendata_board_on_demand_release_refusals(vigie, make_agent):
    publisher = make_agent("supervisor")
    create(vigie, publisher, "attente", columns=CARPARK_COLUMNS)
    with pytest.raises(Forbidden):
        do_release_on_demand(vigie, make_agent("operator"), "attente")
    with pytest.raises(Conflict):
        do_release_on_demand(vigie, publisher, "attente")  # the committee has not approved it
    with pytest.raises(NotFound):
        do_release_on_demand(vigie, publisher, "nulle-part")
