"""Road events and driving conditions as open data sources, through the review and the charter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.opendata.helpers import approve, committee, create
from vigie.accounts.domain import SYSTEM
from vigie.opendata.actions import do_release
from vigie.opendata.queries import read_release
from vigie.traffic import actions as traffic
from vigie.winter import actions as winter


def test_opendata_road_events_and_conditions_released_without_free_text(vigie, make_agent):
    now = datetime.now(UTC)
    traffic.do_create_event(
        vigie,
        SYSTEM,
        traffic.check_event(
            {
                "kind": "roadworks",
                "title": "Réfection — contact M. Dupont 06 12 34 56 78",
                "geometry": {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]},
                "starts_at": (now - timedelta(hours=2)).isoformat(),
                "ends_at": (now + timedelta(days=3)).isoformat(),
            }
        ),
    )
    winter.do_declare_conditions(vigie, SYSTEM, "P1", "C3")
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(
        vigie,
        publisher,
        "chantiers",
        source="road_events",
        rules={"time": {"starts_at": "hour", "ends_at": "hour"}},
    )
    approve(vigie, members, "chantiers")
    assert do_release(vigie, publisher, "chantiers").status == "published"
    table = read_release(vigie, "chantiers")
    assert table.num_rows == 1 and "title" not in table.column_names  # free text: never published
    row = table.to_pylist()[0]
    assert row["kind"] == "roadworks" and row["restriction"] == "laneClosed"
    assert 260 < row["length_m"] < 270 and abs(row["latitude"] - 47.322) < 0.001
    create(
        vigie, publisher, "conditions", source="driving_conditions", rules={"time": {"declared_at": "hour"}}
    )
    approve(vigie, members, "conditions")
    assert do_release(vigie, publisher, "conditions").status == "published"
    assert read_release(vigie, "conditions").to_pylist()[0]["condition"] == "C3"
