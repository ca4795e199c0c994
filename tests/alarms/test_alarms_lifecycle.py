"""Alarm lifecycle through the ingest: dedupe, acknowledge, clear, escalate, manual clearing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.telemetry.helpers import add_asset, light
from vigie.accounts.domain import SYSTEM
from vigie.alarms import actions
from vigie.alarms.queries import alarm_detail
from vigie.alarms.storage import AlarmRow
from vigie.db import utcnow
from vigie.errors import Conflict, Forbidden, Unauthorized


@pytest.fixture
def events(vigie, monkeypatch):  # type: ignore[no-untyped-def]
    """The alarms' own live events (the operations log publishes its entries beside them)."""
    seen: list = []
    monkeypatch.setattr(
        vigie.bus, "publish", lambda evs: seen.extend(e for e in evs if e.type.startswith("alarm."))
    )
    return seen


def alarms(v):  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return list(s.scalars(select(AlarmRow).order_by(AlarmRow.id)))


def test_lifecycle_repeats_update_one_alarm(vigie, make_pipeline, events):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    for i in range(3):
        assert p.ingest("SL-00001", light("defectiveLamp", at=i))
        p.flush()
    # Repeats are folded: one write per alarm every REPEAT_WRITE_SECONDS at most.
    (a,) = alarms(vigie)
    assert (a.type, a.state, a.count, a.severity) == ("lamp-failure", "active_unacknowledged", 1, "major")
    p.flush(latest=True)
    (a,) = alarms(vigie)
    assert a.count == 3
    assert a.last_seen > a.first_seen
    assert [e.type for e in events] == ["alarm.raised", "alarm.updated"]
    raised = events[0]
    assert raised.public is False and raised.payload["asset_id"] == "SL-00001"
    assert raised.agent["severity"] == "major" and raised.agent["title"] == "Lampadaire en panne"


def test_lifecycle_clears_automatically_then_raises_a_new_alarm(vigie, make_pipeline, events):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp", at=0))
    p.ingest("SL-00001", light("ok", at=1))
    p.flush()
    (a,) = alarms(vigie)
    assert (a.state, a.active, a.active_key, a.cleared_by) == (
        "cleared_unacknowledged",
        False,
        None,
        SYSTEM.label,
    )
    p.ingest("SL-00001", light("brokenLantern", at=2))
    p.flush()
    first, second = alarms(vigie)
    assert second.active and second.id != first.id and second.details == {"status": "brokenLantern"}
    assert [e.type for e in events] == ["alarm.raised", "alarm.cleared", "alarm.raised"]


def test_lifecycle_acknowledge_assign_comment_then_clear(vigie, make_pipeline, make_agent, events):
    add_asset(vigie, "CAM-0001", "camera")
    p = make_pipeline()
    p.ingest("CAM-0001", b'{"ts": "%s", "online": false}' % utcnow().isoformat().encode())
    p.flush()
    (a,) = alarms(vigie)
    # A camera's alarm is handled by the video-protection role (see test_alarms_api).
    op, field = make_agent("video_operator"), make_agent("field_agent")
    with pytest.raises(Unauthorized):
        actions.do_acknowledge(vigie, a.id, None)
    with pytest.raises(Forbidden):
        actions.do_acknowledge(vigie, a.id, field)
    actions.do_acknowledge(vigie, a.id, op, "on regarde")
    with pytest.raises(Conflict):
        actions.do_acknowledge(vigie, a.id, op)
    actions.do_assign(vigie, a.id, op, field.id, "pour toi")
    actions.do_comment(vigie, a.id, op, "caméra de la place Darcy")
    p.ingest(
        "CAM-0001", b'{"ts": "%s", "online": true}' % (utcnow() + timedelta(seconds=1)).isoformat().encode()
    )
    p.flush()
    d = alarm_detail(vigie, a.id)
    assert d["state"] == "cleared_acknowledged" and d["assignee"] == field.name
    assert [h["kind"] for h in d["history"]] == ["raised", "acknowledged", "assigned", "comment", "cleared"]
    assert d["history"][1]["actor"] == op.label and d["history"][1]["note"] == "on regarde"
    assigned = next(e for e in events if e.agent.get("assignee"))
    assert assigned.agent["assigned_user_id"] == field.id  # reaches the field agent's stream


def test_lifecycle_escalates_when_not_acknowledged(vigie, make_pipeline, events):
    add_asset(vigie, "TLC-0001", "traffic_controller")
    add_asset(vigie, "TLC-0002", "traffic_controller")
    p = make_pipeline()
    for asset in ("TLC-0001", "TLC-0002"):
        p.ingest(
            asset, b'{"ts": "%s", "fault": true, "faultCode": "lampOut"}' % utcnow().isoformat().encode()
        )
    p.flush()
    a1, a2 = alarms(vigie)
    assert a1.escalate_at is not None
    actions.do_acknowledge(vigie, a2.id, SYSTEM)
    assert actions.do_escalate_due(vigie, utcnow()) == 0  # rule delay: 15 minutes
    later = utcnow() + timedelta(minutes=16)
    assert actions.do_escalate_due(vigie, later) == 1
    assert actions.do_escalate_due(vigie, later) == 0  # once
    a1, a2 = alarms(vigie)
    assert a1.escalated and a1.escalated_at is not None and not a2.escalated
    esc = [e for e in events if e.type == "alarm.escalated"]
    assert len(esc) == 1 and esc[0].agent["escalated"] is True
    assert alarm_detail(vigie, a1.id)["history"][-1]["detail"]["to"] == "supervisor"


def test_lifecycle_manual_clear_by_supervisor_only(vigie, make_pipeline, make_agent):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp", at=0))
    p.flush()
    (a,) = alarms(vigie)
    with pytest.raises(Forbidden):
        actions.do_clear(vigie, a.id, make_agent("operator"))
    actions.do_clear(vigie, a.id, make_agent("supervisor"), "lampe changée")
    with pytest.raises(Conflict):
        actions.do_clear(vigie, a.id, SYSTEM)
    # The condition persists: the engine forgot the cleared alarm, so a new one is raised.
    p.ingest("SL-00001", light("defectiveLamp", at=1))
    p.flush()
    assert [x.active for x in alarms(vigie)] == [False, True]


def test_lifecycle_manual_clear_through_another_worker_reaches_the_ingest(
    vigie, vigie_settings, make_pipeline, make_agent
):
    from vigie.alarms.service import tick
    from vigie.bootstrap import build_vigie

    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp", at=0))
    p.flush()
    (a,) = alarms(vigie)
    other = build_vigie(vigie_settings)  # a worker without the ingest
    try:
        actions.do_clear(other, a.id, make_agent("supervisor"), "lampe changée")
    finally:
        other.db.dispose()
    tick(vigie)  # the ingest's worker learns the alarm is no longer active
    p.ingest("SL-00001", light("defectiveLamp", at=1))
    p.flush()
    assert [x.active for x in alarms(vigie)] == [False, True]


def test_lifecycle_restart_keeps_active_alarms(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp", at=0))
    p.stop()
    p2 = make_pipeline()
    p2.ingest("SL-00001", light("defectiveLamp", at=1))
    p2.flush()
    (a,) = alarms(vigie)
    assert a.count == 2


def test_lifecycle_heartbeat_alarm_through_pipeline(vigie, make_pipeline, events):
    add_asset(vigie, "CAM-0001", "camera")
    p = make_pipeline()
    p.ingest("CAM-0001", b'{"ts": "%s", "online": true}' % utcnow().isoformat().encode())
    assert p.check_heartbeats(utcnow() + timedelta(minutes=11)) == 1
    p.flush()
    (a,) = alarms(vigie)
    assert a.type == "camera-silent" and a.active
    p.ingest(
        "CAM-0001", b'{"ts": "%s", "online": true}' % (utcnow() + timedelta(seconds=1)).isoformat().encode()
    )
    p.flush()
    assert not alarms(vigie)[0].active


def test_lifecycle_clear_takes_held_repeats_with_it(vigie, make_pipeline, events):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    for i in range(4):
        p.ingest("SL-00001", light("defectiveLamp", at=i))
        p.flush()
    p.ingest("SL-00001", light("ok", at=5))
    p.flush()
    (a,) = alarms(vigie)
    assert (a.state, a.count) == ("cleared_unacknowledged", 4)
    assert [e.type for e in events] == ["alarm.raised", "alarm.cleared"]
