"""Salting circuits: who may be given one (the winter vehicles of the fleet, and nobody else)."""

from __future__ import annotations

import pytest

from tests.telemetry.helpers import add_asset
from vigie.errors import ValidationFailed
from vigie.winter import actions

LINE = {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]}


@pytest.fixture
def circuit(vigie, make_agent):  # type: ignore[no-untyped-def]
    add_asset(vigie, "VEH-001", "vehicle", vehicleRole="salt_spreader")
    add_asset(vigie, "VEH-900", "vehicle", vehicleRole="street_sweeper")
    op = make_agent("operator")
    (cid,) = actions.do_create_circuits(
        vigie,
        op,
        [actions.check_circuit({"code": "C1", "tier": "P1", "geometry": LINE, "vehicle_id": "VEH-001"})],
    )
    return op, cid


def standing(vigie, cid):  # type: ignore[no-untyped-def]
    return {c["id"]: c["standing_vehicle_id"] for c in actions.list_circuits(vigie)}[cid]


@pytest.mark.parametrize("vehicle", ["VEH-404", "VEH-900", "", "VEH-001\x00"])
def test_winter_circuits_unknown_vehicle_is_refused_and_nothing_changes(
    vigie, circuit, client, auth, vehicle
):
    # Any text was taken as a circuit's vehicle (a NUL byte included): a circuit nobody drives.
    op, cid = circuit
    with pytest.raises(ValidationFailed, match="is not a winter vehicle of the fleet"):
        actions.do_assign_circuit(vigie, op, cid, vehicle)
    r = client.post(f"/api/v1/winter/circuits/{cid}/vehicle", json={"vehicle_id": vehicle}, headers=auth())
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "vehicle_id" and "is not a winter vehicle" in r.json()["detail"]
    assert standing(vigie, cid) == "VEH-001"


def test_winter_circuits_new_circuit_with_an_unknown_vehicle_is_refused(vigie, circuit):
    op, _ = circuit
    draft = actions.check_circuit({"code": "C2", "tier": "P2", "geometry": LINE, "vehicle_id": "VEH-404"})
    with pytest.raises(ValidationFailed, match="'VEH-404' is not a winter vehicle"):
        actions.do_create_circuits(vigie, op, [draft])
    assert [c["code"] for c in actions.list_circuits(vigie)] == ["C1"]


def test_winter_circuits_vehicle_of_the_fleet_or_nobody_is_taken(vigie, circuit):
    op, cid = circuit
    actions.do_assign_circuit(vigie, op, cid, None)
    assert standing(vigie, cid) is None
    actions.do_assign_circuit(vigie, op, cid, "VEH-001")
    assert standing(vigie, cid) == "VEH-001"
