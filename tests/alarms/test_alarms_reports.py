"""Alarms and residents' reports meet: links both ways, resolution when the alarm clears."""

from __future__ import annotations

from sqlalchemy import select

from tests.telemetry.helpers import DARCY, NEAR_DARCY, add_asset, light
from vigie.accounts.domain import SYSTEM
from vigie.alarms import actions
from vigie.alarms.queries import alarm_detail, alarms_for_report
from vigie.alarms.storage import AlarmRow
from vigie.reports.actions import get_report, report_updates
from vigie.reports.intake import Submission, check_submission, do_submit_report


def submit(v, service="luminaire-hors-service", at=NEAR_DARCY, email="habitant@example.org", **attrs):  # type: ignore[no-untyped-def]
    attributes = {"etat": "eteint"} if service == "luminaire-hors-service" else {}
    attributes.update(attrs)
    sub = Submission(
        service_code=service,
        channel="app",
        description="Le lampadaire est éteint",
        lat=at[0],
        long=at[1],
        attributes=attributes,
        reporter_email=email,
    )
    row, _ = do_submit_report(v, check_submission(v, sub))
    return row.id


def active_alarm(v, asset_id):  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return s.scalar(select(AlarmRow).where(AlarmRow.asset_id == asset_id, AlarmRow.active))


def outbox_for(v, report_id):  # type: ignore[no-untyped-def]
    try:
        from vigie.notifications.storage import OutboxRow
    except ImportError:
        return None
    with v.db.session() as s:
        return list(s.scalars(select(OutboxRow).where(OutboxRow.report_id == report_id)))


def test_reports_alarm_links_open_lighting_reports_nearby(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    near = submit(vigie)
    far = submit(vigie, at=(DARCY[0] + 0.003, DARCY[1]))  # ~330 m north
    other = submit(vigie, service="nid-de-poule", at=NEAR_DARCY, danger_immediat="non")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp"))
    p.flush()
    alarm = active_alarm(vigie, "SL-00001")
    d = alarm_detail(vigie, alarm.id)
    assert d["report_ids"] == [near]
    assert 15 < d["links"][0]["distance_m"] < 30
    assert [a["id"] for a in alarms_for_report(vigie, near)] == [alarm.id]
    assert alarms_for_report(vigie, far) == [] and alarms_for_report(vigie, other) == []
    entry = report_updates(vigie, near)[-1]
    assert entry.kind == "alarm_link" and entry.detail["asset_id"] == "SL-00001"
    assert "SL-00001" in entry.public_note and f"alarme n° {alarm.id}" in entry.internal_note
    assert get_report(vigie, near).status == "new"


def test_reports_new_report_near_active_alarm_is_linked(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp"))
    p.flush()
    rid = submit(vigie)  # do_submit_report links it after commit
    alarm = active_alarm(vigie, "SL-00001")
    assert alarm_detail(vigie, alarm.id)["report_ids"] == [rid]
    assert actions.on_report_created(vigie, rid) == []  # linked once
    # A report of another kind at the same place is not linked.
    assert (
        actions.on_report_created(vigie, submit(vigie, service="nid-de-poule", danger_immediat="non")) == []
    )
    # Never raises, even for a report that does not exist.
    assert actions.on_report_created(vigie, 999_999) == []


def test_reports_resolved_when_the_alarm_clears(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    rid = submit(vigie)
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp", at=0))
    p.flush()
    p.ingest("SL-00001", light("ok", at=1))
    p.flush()
    report = get_report(vigie, rid)
    assert report.status == "resolved" and report.closed_at is not None
    last = report_updates(vigie, rid)[-1]
    assert (last.kind, last.status, last.actor_label, last.actor_user_id) == (
        "status",
        "resolved",
        SYSTEM.label,
        None,
    )
    assert "SL-00001 fonctionne de nouveau" in last.public_note
    with vigie.db.session() as s:
        alarm_id = s.scalar(select(AlarmRow.id).where(AlarmRow.asset_id == "SL-00001"))
    d = alarm_detail(vigie, alarm_id)
    assert d["state"] == "cleared_unacknowledged" and d["links"][0]["resolved_at"] is not None
    assert "report_resolved" in [h["kind"] for h in d["history"]]
    queued = outbox_for(vigie, rid)
    if queued is not None and vigie.settings.notify_transport != "none":
        assert any(m.recipient == "habitant@example.org" for m in queued)


def test_reports_stay_open_while_another_linked_alarm_is_active(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    add_asset(vigie, "SL-00002", lat=NEAR_DARCY[0], long=NEAR_DARCY[1] + 0.0002)
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp", at=0))
    p.ingest("SL-00002", light("defectiveLamp", at=0))
    p.flush()
    rid = submit(vigie, service="rue-eteinte", nombre_luminaires=2)  # linked at submission
    for asset in ("SL-00001", "SL-00002"):
        assert alarm_detail(vigie, active_alarm(vigie, asset).id)["report_ids"] == [rid]
    p.ingest("SL-00001", light("ok", at=1))
    p.flush()
    assert get_report(vigie, rid).status == "new"
    p.ingest("SL-00002", light("ok", at=1))
    p.flush()
    assert get_report(vigie, rid).status == "resolved"


def test_reports_asset_repaired_clears_alarm_and_resolves(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    rid = submit(vigie)
    p = make_pipeline()
    p.ingest("SL-00001", light("columnIssue"))
    p.flush()
    rid2 = submit(vigie, service="candelabre-endommage", dommages=["penche"], danger_immediat="non")
    assert rid2 in alarm_detail(vigie, active_alarm(vigie, "SL-00001").id)["report_ids"]
    assert actions.on_asset_repaired(vigie, "SL-00001", "mât remplacé") == 1
    assert active_alarm(vigie, "SL-00001") is None
    assert get_report(vigie, rid2).status == "resolved"
    assert get_report(vigie, rid).status == "new"  # a light out is not explained by a column issue


def _published(v, monkeypatch):  # type: ignore[no-untyped-def]
    seen: list = []
    publish = v.bus.publish

    def spy(events):  # type: ignore[no-untyped-def]
        seen.extend(events)
        publish(events)

    monkeypatch.setattr(v.bus, "publish", spy)
    return seen


def _updated_since(v, since):  # type: ignore[no-untyped-def]
    from vigie.reports.queries import ReportFilter, list_reports

    rows, _ = list_reports(v, ReportFilter(updated_since=since, public_only=False), 1, 100)
    return [r.id for r in rows]


def test_reports_alarm_link_to_open_report_touches_it_and_publishes_report_updated(
    vigie, make_pipeline, monkeypatch
):
    add_asset(vigie, "SL-00001")
    rid = submit(vigie)
    before = get_report(vigie, rid).updated_at
    seen = _published(vigie, monkeypatch)
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp"))
    p.flush()
    after = get_report(vigie, rid)
    assert report_updates(vigie, rid)[-1].kind == "alarm_link"
    assert after.updated_at > before
    assert rid in _updated_since(vigie, after.updated_at)
    updated = [e for e in seen if e.type == "report.updated" and e.report_ids[0] == rid]
    assert len(updated) == 1 and updated[0].public
    assert updated[0].payload["updated_at"] == after.updated_at.isoformat()


def test_reports_new_report_linked_to_active_alarm_is_touched_and_published(
    vigie, make_pipeline, monkeypatch
):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    p.ingest("SL-00001", light("defectiveLamp"))
    p.flush()
    seen = _published(vigie, monkeypatch)
    rid = submit(vigie)
    entry = report_updates(vigie, rid)[-1]
    assert entry.kind == "alarm_link"
    assert get_report(vigie, rid).updated_at == entry.at
    assert [e.report_ids[0] for e in seen if e.type == "report.updated"] == [rid]
