"""The shift's rota: circuits given to a vehicle and its driver; the coverage and the salting
runs follow the vehicle in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from tests.telemetry.helpers import add_asset
from vigie.errors import Forbidden, ValidationFailed
from vigie.oplog.actions import OplogFilter, list_entries
from vigie.telemetry.registry import AssetRegistry
from vigie.telemetry.simulator import FleetSimulator
from vigie.winter import actions, shifts
from vigie.winter.service import SaltingSimulation
from vigie.winter.storage import CoverageRow

A = {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]}
B = {"type": "LineString", "coordinates": [[5.0300, 47.3300], [5.0350, 47.3310]]}


@pytest.fixture
def rota(vigie, make_agent):  # type: ignore[no-untyped-def]
    add_asset(vigie, "VEH-001", "vehicle", vehicleRole="salt_spreader")
    add_asset(vigie, "VEH-002", "vehicle", vehicleRole="snow_plough")
    add_asset(vigie, "VEH-900", "vehicle", vehicleRole="street_sweeper")
    op = make_agent("operator")
    ids = actions.do_create_circuits(
        vigie,
        op,
        [
            actions.check_circuit({"code": "C1", "tier": "P1", "geometry": A, "vehicle_id": "VEH-001"}),
            actions.check_circuit({"code": "C2", "tier": "P2", "geometry": B, "vehicle_id": "VEH-001"}),
        ],
    )
    return op, ids


def test_winter_shifts_rota_gives_the_vehicle_in_force(vigie, make_agent, rota):
    op, (c1, c2) = rota
    driver = make_agent("field_agent")
    out = shifts.do_assign(
        vigie, op, "current", [{"circuit_id": c2, "vehicle_id": "VEH-002", "driver_id": driver.id}]
    )
    assert out["items"] == [
        {"circuit_id": c2, "vehicle_id": "VEH-002", "driver_id": driver.id, "driver": driver.label}
    ]
    by_id = {c["id"]: c for c in actions.list_circuits(vigie)}
    assert (by_id[c2]["vehicle_id"], by_id[c2]["standing_vehicle_id"], by_id[c2]["on_rota"]) == (
        "VEH-002",
        "VEH-001",
        True,
    )
    assert by_id[c2]["driver"] == driver.label
    assert (by_id[c1]["vehicle_id"], by_id[c1]["on_rota"]) == ("VEH-001", False)
    # The next shift's rota is not in force yet.
    shifts.do_assign(vigie, op, "next", [{"circuit_id": c1, "vehicle_id": "VEH-002"}])
    assert {c["id"]: c["vehicle_id"] for c in actions.list_circuits(vigie)}[c1] == "VEH-001"
    assert shifts.assignments(vigie, "next")["items"][0]["circuit_id"] == c1
    # Null gives the circuit back to its standing vehicle.
    shifts.do_assign(vigie, op, "current", [{"circuit_id": c2, "vehicle_id": None, "driver_id": None}])
    assert {c["id"]: c["vehicle_id"] for c in actions.list_circuits(vigie)}[c2] == "VEH-001"
    entries, _ = list_entries(vigie, op, OplogFilter(services=("winter",), kinds=("winter.assignment",)))
    assert len(entries) == 3 and "Affectation des circuits" in entries[-1]["text"]


def test_winter_shifts_coverage_says_whether_the_assigned_vehicle_treated_it(vigie, rota):
    op, (_c1, c2) = rota
    actions.do_set_level(vigie, op, "intervention")
    with vigie.db.session(write=True) as s:
        s.execute(
            insert(CoverageRow),
            [{"circuit_id": c2, "seq": 0, "treated_at": datetime.now(UTC), "vehicle_id": "VEH-001"}],
        )
        s.commit()
    c = next(x for x in actions.list_circuits(vigie) if x["id"] == c2)
    assert c["treated_by"] == ["VEH-001"] and c["treated_by_assigned"]
    shifts.do_assign(vigie, op, "current", [{"circuit_id": c2, "vehicle_id": "VEH-002"}])
    c = next(x for x in actions.list_circuits(vigie) if x["id"] == c2)
    assert c["share"] > 0 and not c["treated_by_assigned"]  # treated, but not by its vehicle


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"vehicle_id": "VEH-404"}, "items.0.vehicle_id"),  # not in the fleet
        ({"vehicle_id": "VEH-900"}, "items.0.vehicle_id"),  # a sweeper does not salt
        ({"vehicle_id": None, "driver_id": "agent"}, "items.0.vehicle_id"),  # a driver needs a vehicle
        ({"vehicle_id": "VEH-002", "driver_id": "operator"}, "items.0.driver_id"),  # not a field agent
        ({"vehicle_id": "VEH-002", "circuit_id": 999_999}, "items"),
    ],
)
def test_winter_shifts_refusals_name_the_item(vigie, make_agent, rota, item, field):
    op, (c1, _c2) = rota
    people = {"agent": make_agent("field_agent").id, "operator": op.id}
    given = {"circuit_id": c1, **item}
    if isinstance(given.get("driver_id"), str):
        given["driver_id"] = people[given["driver_id"]]
    with pytest.raises(ValidationFailed) as err:
        shifts.do_assign(vigie, op, "current", [given])
    assert err.value.field == field
    assert shifts.assignments(vigie)["items"] == []  # nothing written
    with pytest.raises(ValidationFailed):
        shifts.do_assign(vigie, op, "yesterday", [])
    with pytest.raises(Forbidden):
        shifts.do_assign(vigie, make_agent("field_agent"), "current", [])


def test_winter_shifts_next_shift_follows_the_current(vigie):
    now = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)  # 14:30 in Dijon
    cur, nxt = shifts.shift_of(vigie, "current", now), shifts.shift_of(vigie, "next", now)
    assert cur.start <= now < cur.end and nxt.start == cur.end and nxt.end > nxt.start
    assert nxt.start - now < timedelta(hours=24)


def test_winter_shifts_salting_run_rerouted_by_the_rota(vigie, rota):
    op, (c1, c2) = rota
    registry = AssetRegistry(vigie.db)
    registry.refresh()

    class Source:
        simulator = FleetSimulator(list(registry.assets.values()), seed=1)

    vigie.ingest.source = Source()  # type: ignore[assignment]
    try:
        runs = SaltingSimulation(vigie)
        actions.do_set_level(vigie, op, "intervention")
        assert runs.tick() == 1 and runs.driving == {"VEH-001": c1}
        shifts.do_assign(
            vigie,
            op,
            "current",
            [{"circuit_id": c1, "vehicle_id": "VEH-002"}, {"circuit_id": c2, "vehicle_id": "VEH-001"}],
        )
        assert runs.tick() == 2 and runs.driving == {"VEH-002": c1, "VEH-001": c2}
        path = Source.simulator.devices["VEH-001"].state["path"]
        assert [round(x, 4) for x in path[0]] == B["coordinates"][0]
        assert runs.tick() == 0
    finally:
        vigie.ingest.source = None
