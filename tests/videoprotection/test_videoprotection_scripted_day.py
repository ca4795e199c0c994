"""A scripted day of video protection on the Dijon demo: the simulator drives the cameras'
telemetry (a recorder fails, a storage fills up, alarms for the video roles only), an
authorisation expires and alerts, an extraction is registered and audited, and the day
reads in the operations log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.traffic.test_traffic_scripted_day import infos
from tests.videoprotection.helpers import extraction
from vigie.accounts.storage import AuditRow
from vigie.alarms.storage import AlarmRow
from vigie.assets.demo import build_demo_fleet
from vigie.assets.storage import AssetRow
from vigie.background import build_ingest
from vigie.oplog.actions import OplogFilter, list_entries, shift_summary
from vigie.runtime import Vigie
from vigie.telemetry.simulator import FleetSimulator
from vigie.videoprotection import actions, register
from vigie.videoprotection.demo import load_demo_sites

QUIET = {"camera_offline": 0.0, "camera_recording": 0.0, "camera_storage": 0.0}


def cameras_of_the_demo(v: Vigie) -> list[dict]:
    rows = [r for r in build_demo_fleet(v) if r["type"] == "camera"]
    assert len(rows) == 269
    from sqlalchemy import insert

    with v.db.session(write=True) as s:
        s.execute(insert(AssetRow), rows)
        s.commit()
    return rows


def test_videoprotection_scripted_day(vigie: Vigie, make_agent) -> None:
    rows = cameras_of_the_demo(vigie)
    load_demo_sites(vigie)
    video, registrar, operator = (
        make_agent("video_operator"),
        make_agent("video_registrar"),
        make_agent("operator"),
    )
    sites = actions.list_sites(vigie, video)
    # The morning: the site whose authorisation ends first is in force, flagged as expiring.
    site = min(
        (s for s in sites if s["state"] in ("authorised", "expiring")),
        key=lambda s: s["authorisation_expiry"],
    )
    expiry = datetime.fromisoformat(site["authorisation_expiry"]).replace(tzinfo=UTC)
    morning = expiry - timedelta(days=1) + timedelta(hours=5)  # 06:00 in Dijon, the day before it ends
    actions.do_check_compliance(vigie, morning)
    kinds = {(a["kind"], a["site_code"]) for a in actions.list_alerts(vigie, video)}
    assert ("authorisation_expiring", site["code"]) in kinds
    assert ("authorisation_expired", site["code"]) not in kinds

    # The cameras report through the ingest all day; one recorder fails at 09:00 for two
    # hours, one storage fills at 14:00 for three.
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    sim = FleetSimulator(infos(rows), seed=18, rates=QUIET)
    broken, full = rows[0]["id"], rows[100]["id"]
    pipeline = build_ingest(vigie)
    pipeline.start()
    seen: dict[str, set[str]] = {}
    try:
        t = day + timedelta(hours=6)
        while t < day + timedelta(hours=20):
            t += timedelta(minutes=1)
            if t == day + timedelta(hours=9):
                sim.fail_camera(broken, "recording", t, minutes=120)
            if t == day + timedelta(hours=14):
                sim.fail_camera(full, "storage", t, minutes=180)
            for asset_id, msg in sim.step(t):
                pipeline.ingest(asset_id, msg)
            if t.minute % 10 == 0:
                pipeline.flush()
                with vigie.db.session() as s:
                    for a in s.scalars(select(AlarmRow).where(AlarmRow.active.is_(True))):
                        seen.setdefault(a.type, set()).add(a.asset_id)
    finally:
        pipeline.stop()
    assert seen == {"camera-recording-fault": {broken}, "camera-storage-full": {full}}
    # The alarms are the video roles': the rest of the control room sees none of them.
    alarms = list_entries(
        vigie, video, OplogFilter(services=("video",), kinds=("alarm.raised", "alarm.cleared"))
    )[0]
    assert {(e["kind"], e["detail"]["type"]) for e in alarms} == {
        ("alarm.raised", "camera-recording-fault"),
        ("alarm.cleared", "camera-recording-fault"),
        ("alarm.raised", "camera-storage-full"),
        ("alarm.cleared", "camera-storage-full"),
    }
    assert list_entries(vigie, operator, OplogFilter(services=("video",)))[1] == 0

    # The police ask for the images of the failed camera's neighbour over an hour this morning.
    neighbour = rows[1]["id"]
    entry = register.do_register_extraction(
        vigie,
        registrar,
        extraction(neighbour, span_start=day + timedelta(hours=8), span_end=day + timedelta(hours=9)),
    )
    assert register.list_register(vigie, registrar)[0]["id"] == entry["id"]
    with vigie.db.session() as s:
        audited = [
            (r.action, r.actor) for r in s.scalars(select(AuditRow).where(AuditRow.action.like("video.%")))
        ]
    assert ("video.extraction.registered", registrar.email) in audited
    assert ("video.register.consulted", registrar.email) in audited
    assert list_entries(vigie, registrar, OplogFilter(kinds=("extraction.registered",)))[1] == 1
    assert list_entries(vigie, video, OplogFilter(kinds=("extraction.registered",)))[1] == 0

    # Midnight passes: the authorisation has expired, and alerts.
    next_morning = expiry + timedelta(days=1, hours=5)
    result = actions.do_check_compliance(vigie, next_morning)
    assert result["opened"] >= 1 + site["cameras"]  # the site, and each of its cameras now outside
    open_now = {(a["kind"], a["site_code"]) for a in actions.list_alerts(vigie, video)}
    assert ("authorisation_expired", site["code"]) in open_now
    assert ("authorisation_expiring", site["code"]) not in open_now
    expired = list_entries(vigie, video, OplogFilter(services=("video",), q=f"expirée {site['code']}"))[0]
    assert [(e["kind"], e["severity"]) for e in expired] == [("compliance.opened", "urgent")]
    # The hand-over: the shift's summary for the video roles (entries are dated when written).
    now = datetime.now(UTC)
    summary = shift_summary(vigie, video, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert summary.by_kind["video"]["alarm.raised"] == 2
    assert any("expirée" in e["text"] for e in summary.urgent)
