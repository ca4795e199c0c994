"""A scripted day at one Dijon junction of the demo: the simulator drives the telemetry,
a controller fails and a detector congests; the usual rush hours raise nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from vigie.alarms.storage import AlarmRow
from vigie.assets.demo import build_demo_fleet
from vigie.assets.storage import AssetRow
from vigie.background import build_ingest
from vigie.oplog.actions import OplogFilter, list_entries
from vigie.runtime import Vigie
from vigie.telemetry.registry import AssetInfo
from vigie.telemetry.schema import kind_of
from vigie.telemetry.simulator import FleetSimulator
from vigie.traffic.observer import learn_profiles
from vigie.traffic.storage import PriorityRequestRow

QUIET = {"controller_fault": 0.0, "detector_congestion": 0.0}
DAY = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # a Tuesday (past: the ingest refuses clocks a day ahead)


def junction(v: Vigie) -> list[dict[str, Any]]:
    """The demo's first signalled junction and its two counting loops, written."""
    rows = build_demo_fleet(v)
    tlc = next(r for r in rows if r["type"] == "traffic_signal_controller")
    dets = [r for r in rows if r["links"].get("refTrafficSignalController") == tlc["id"]]
    assert len(dets) == 2
    with v.db.session(write=True) as s:
        s.execute(insert(AssetRow), [tlc, *dets])
        s.commit()
    return [tlc, *dets]


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


def active(v: Vigie) -> dict[str, str]:
    with v.db.session() as s:
        return {a.type: a.asset_id for a in s.scalars(select(AlarmRow).where(AlarmRow.active.is_(True)))}


def test_traffic_scripted_day_controller_fails_and_detector_congests(vigie: Vigie, make_agent) -> None:
    rows = junction(vigie)
    tlc, det, other = (r["id"] for r in rows)
    # Three weeks of the detectors' counts teach their usual profile.
    history = FleetSimulator(infos(rows[1:]), seed=7, rates=QUIET)
    counts = []
    t = DAY - timedelta(days=21)
    while t < DAY:
        t += timedelta(minutes=5)
        for asset_id, msg in history.step(t):
            counts.append((asset_id, t, msg["occupancy"], msg["averageVehicleSpeed"], msg["intensity"]))
    assert learn_profiles(vigie, counts) == 2 * 7 * 96

    sim = FleetSimulator(infos(rows), seed=8, rates=QUIET)
    pipeline = build_ingest(vigie)
    pipeline.start()
    seen: dict[str, list[datetime]] = {}
    try:
        t = DAY
        while t < DAY + timedelta(days=1):
            t += timedelta(minutes=1)
            if t == DAY + timedelta(hours=10):  # 11:00 in Dijon: conflicting greens
                sim.fail_controller(tlc, "conflict", t, minutes=45)
            if t == DAY + timedelta(hours=14):  # 15:00: a lorry blocks the lane for 40 minutes
                sim.congest(det, t, minutes=40)
            for asset_id, msg in sim.step(t):
                pipeline.ingest(asset_id, msg)
            if t.minute % 5 == 0:
                pipeline.flush()
                for kind in active(vigie):
                    seen.setdefault(kind, []).append(t)
    finally:
        pipeline.stop()

    def span(kind: str) -> tuple[datetime, datetime]:
        return seen[kind][0], seen[kind][-1]

    # The conflict: its own alarm and the fall-back to flashing amber, for the fault's 45 min.
    for kind in ("controller-conflict", "controller-degraded-mode"):
        first, last = span(kind)
        assert DAY + timedelta(hours=10) <= first <= DAY + timedelta(hours=10, minutes=5), kind
        assert DAY + timedelta(hours=10, minutes=40) <= last <= DAY + timedelta(hours=10, minutes=50), kind
    # The jam over one detector, and only there: the rush hours are this road's usual.
    first, last = span("detector-congestion")
    assert DAY + timedelta(hours=14) <= first <= DAY + timedelta(hours=14, minutes=10)
    assert DAY + timedelta(hours=14, minutes=35) <= last <= DAY + timedelta(hours=14, minutes=50)
    assert set(seen) == {"controller-conflict", "controller-degraded-mode", "detector-congestion"}
    assert not active(vigie)
    with vigie.db.session() as s:
        alarm = s.scalars(select(AlarmRow).where(AlarmRow.type == "detector-congestion")).one()
        assert alarm.asset_id == det and alarm.asset_id != other
        # Priority requests for trams and buses were reported and kept, with their outcome.
        outcomes = list(
            s.scalars(select(PriorityRequestRow.outcome).where(PriorityRequestRow.controller_id == tlc))
        )
    # The day in the operations log, under traffic regulation.
    entries, _ = list_entries(vigie, make_agent("operator"), OplogFilter(services=("traffic",)))
    raised = {e["detail"]["type"] for e in entries if e["kind"] == "alarm.raised"}
    assert raised == {"controller-conflict", "controller-degraded-mode", "detector-congestion"}
    assert len(outcomes) > 100
    assert 0.7 < outcomes.count("granted") / len(outcomes) < 0.95


def test_traffic_road_events_checked_logged_and_published(vigie: Vigie, make_agent) -> None:
    from datetime import UTC

    from vigie.errors import Conflict, Forbidden, ValidationFailed
    from vigie.traffic import actions

    operator = make_agent("operator")
    now = datetime.now(UTC)
    body = {
        "kind": "closure",
        "title": "Fermeture de la rue Musette (marché de Noël)",
        "geometry": {"type": "LineString", "coordinates": [[5.0405, 47.3229], [5.0418, 47.3235]]},
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=2)).isoformat(),
    }
    with pytest.raises(ValidationFailed):
        actions.check_event({**body, "kind": "parade"})
    with pytest.raises(ValidationFailed):
        actions.check_event({**body, "ends_at": "demain"})
    with pytest.raises(Forbidden):
        actions.do_create_event(vigie, make_agent("field_agent"), actions.check_event(body))
    made = actions.do_create_event(vigie, operator, actions.check_event(body))
    assert made["restriction"] == "roadClosed"  # a closure closes the road unless told
    later = actions.do_create_event(
        vigie,
        operator,
        actions.check_event(
            {
                **body,
                "kind": "roadworks",
                "title": "Réfection",
                "starts_at": (now + timedelta(days=3)).isoformat(),
                "ends_at": (now + timedelta(days=5)).isoformat(),
            }
        ),
    )
    geo = actions.events_geojson(vigie)
    assert [f["id"] for f in geo["features"]] == [made["id"], later["id"]]
    assert geo["features"][0]["properties"]["in_force"] and not geo["features"][1]["properties"]["in_force"]
    assert "created_by" not in geo["features"][0]["properties"]
    actions.do_end_event(vigie, operator, later["id"])  # not begun: cancelled
    actions.do_end_event(vigie, operator, made["id"])  # in force: ends now
    with pytest.raises(Conflict):
        actions.do_end_event(vigie, operator, made["id"])
    assert actions.events_geojson(vigie)["features"] == []
    entries, _ = list_entries(vigie, operator, OplogFilter(services=("traffic",)))
    assert [e["kind"] for e in reversed(entries)] == [
        "traffic.event.declared",
        "traffic.event.declared",
        "traffic.event.cancelled",
        "traffic.event.ended",
    ]
