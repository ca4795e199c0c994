"""A scripted winter night on the Dijon demo: ice risk proposes the intervention level, the
operator accepts, the salting vehicles drive their P1 circuits (Divia's bus and tram
routes) and coverage climbs; salt is spread and driving conditions published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from vigie.accounts.domain import Agent
from vigie.assets.demo import build_demo_fleet
from vigie.assets.storage import AssetRow
from vigie.background import build_ingest
from vigie.errors import Conflict, Forbidden
from vigie.oplog.actions import OplogFilter, list_entries
from vigie.runtime import Vigie
from vigie.telemetry.registry import AssetInfo
from vigie.telemetry.schema import kind_of
from vigie.telemetry.simulator import FleetSimulator
from vigie.winter import actions

GTFS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "dijon" / "divia_gtfs"


def infos(rows: list[dict[str, Any]]) -> list[AssetInfo]:
    return [
        AssetInfo(
            r["id"],
            r["type"],
            kind_of(r["type"], r["id"]) or "",
            r["zone"],
            r["lat"],
            r["long"],
            r["group"],
            r["status"],
            r["attributes"],
        )
        for r in rows
    ]


@pytest.mark.skipif(not GTFS.is_dir(), reason="needs Divia's GTFS in ../shared/data")
def test_winter_scripted_night_ice_risk_salting_and_coverage(vigie: Vigie, make_agent) -> None:
    operator: Agent = make_agent("operator")
    winter = ("snow_plough", "salt_spreader")
    fleet = [
        r
        for r in build_demo_fleet(vigie)
        if r["type"] == "road_weather_station" or r["attributes"].get("vehicleRole") in winter
    ]
    with vigie.db.session(write=True) as s:
        s.execute(insert(AssetRow), fleet)
        s.commit()
    winter_vehicles = [r["id"] for r in fleet if r["type"] == "vehicle"]
    assert len(winter_vehicles) == 45
    drafts = actions.circuits_from_gtfs(GTFS)
    assert len(drafts) > 100
    actions.assign_round_robin(drafts, winter_vehicles)
    with pytest.raises(Forbidden):
        actions.do_create_circuits(vigie, make_agent("field_agent"), drafts)
    ids = actions.do_create_circuits(vigie, operator, drafts)
    circuits = actions.list_circuits(vigie)
    km = sum(c["length_m"] for c in circuits) / 1000
    assert 1000 < km < 1200 and all(c["tier"] == "P1" and c["share"] == 0 for c in circuits)
    actions.do_record_salt(vigie, operator, "count", 800)

    sim = FleetSimulator(infos(fleet), seed=3, periods={"vehicle": 5})
    pipeline = build_ingest(vigie)
    pipeline.start()
    # The night runs from now (the plan's levels are stamped with the real clock).
    night = datetime.now(UTC).replace(microsecond=0)
    try:
        t = night
        # A station sees a wet road at +0.2 °C: ice risk.
        pipeline.ingest(
            "RWS-01",
            {"ts": t.isoformat(), "surfaceTemperature": 0.2, "airTemperature": 1.0, "surfaceStatus": "wet"},
        )
        pipeline.flush()
        (proposal,) = actions.open_proposals(vigie)
        assert proposal["level"] == "intervention" and proposal["station_id"] == "RWS-01"
        assert actions.current_level(vigie)["level"] == "veille"
        actions.do_decide_proposal(vigie, operator, proposal["id"], accept=True)
        with pytest.raises(Conflict):
            actions.do_decide_proposal(vigie, operator, proposal["id"], accept=False)
        level = actions.current_level(vigie)
        assert level["level"] == "intervention" and level["round_started"] is not None
        actions.do_declare_conditions(vigie, operator, "P1", "C3", "Verglas par endroits")

        # Each winter vehicle salts the first of its circuits.
        by_id = {c["id"]: c for c in actions.list_circuits(vigie, with_geometry=True)}
        mine: dict[str, int] = {}
        for cid in ids:
            c = by_id[cid]
            if c["vehicle_id"] not in mine:
                mine[c["vehicle_id"]] = cid
                sim.drive(c["vehicle_id"], [tuple(p) for p in c["coordinates"]])
        shares = []
        for minutes in range(1, 41):
            t = night + timedelta(minutes=minutes)
            for step in range(12):
                for asset_id, msg in sim.step(t - timedelta(seconds=55 - 5 * step)):
                    pipeline.ingest(asset_id, msg)
            if minutes in (10, 20, 40):
                pipeline.flush()
                for obs in pipeline.observers:
                    obs.flush()  # type: ignore[attr-defined]
                shares.append(actions.coverage_summary(actions.list_circuits(vigie))["P1"]["share"])
    finally:
        pipeline.stop()

    assert 0 < shares[0] < shares[1] < shares[2]  # coverage climbs
    assert shares[2] > 0.15
    after = {c["id"]: c for c in actions.list_circuits(vigie)}
    for vehicle, cid in mine.items():
        assert after[cid]["share"] > 0 and vehicle in after[cid]["treated_by"]
        assert after[cid]["last_treated_at"] is not None
    salt = actions.salt_stock(vigie)
    assert salt["spread_tonnes"] > 1 and salt["stock_tonnes"] == pytest.approx(
        800 - salt["spread_tonnes"], abs=0.01
    )
    assert set(salt["spread_by_vehicle"]) <= set(winter_vehicles)
    (published,) = actions.published_conditions(vigie)
    assert published["condition"] == "C3" and "declared_by" not in published
    # The night in the operations log: the alarm, the proposal, the level, the conditions.
    entries, _ = list_entries(vigie, operator, OplogFilter(services=("winter",)))
    kinds = [e["kind"] for e in reversed(entries)]
    for kind in (
        "alarm.raised",
        "winter.proposal",
        "winter.proposal.accepted",
        "winter.level",
        "winter.conditions",
    ):
        assert kind in kinds, kinds
    level = next(e for e in entries if e["kind"] == "winter.level")
    assert level["severity"] == "urgent" and "Intervention" in level["text"] + level["text_en"]


def test_winter_embedded_simulator_salts_during_intervention_only(vigie: Vigie, make_agent) -> None:
    from tests.telemetry.helpers import add_asset
    from vigie.telemetry.registry import AssetRegistry
    from vigie.winter.service import SaltingSimulation

    add_asset(vigie, "VEH-001", "vehicle", vehicleRole="salt_spreader")
    line = {"type": "LineString", "coordinates": [[5.0375, 47.3222], [5.0410, 47.3219]]}
    operator = make_agent("operator")
    actions.do_create_circuits(
        vigie,
        operator,
        [actions.check_circuit({"code": "C1", "tier": "P1", "geometry": line, "vehicle_id": "VEH-001"})],
    )
    registry = AssetRegistry(vigie.db)
    registry.refresh()

    class Source:
        simulator = FleetSimulator(list(registry.assets.values()), seed=1)

    vigie.ingest.source = Source()  # type: ignore[assignment]
    try:
        runs = SaltingSimulation(vigie)
        assert runs.tick() == 0  # veille: nobody out
        actions.do_set_level(vigie, operator, "intervention")
        assert runs.tick() == 1 and runs.tick() == 0
        msg = Source.simulator._vehicle(Source.simulator.devices["VEH-001"], datetime.now(UTC))
        assert msg["activity"] == "salting" and msg["spreadRate"] > 0
        actions.do_set_level(vigie, operator, "alerte")
        assert runs.tick() == 1
        assert "path" not in Source.simulator.devices["VEH-001"].state
    finally:
        vigie.ingest.source = None
