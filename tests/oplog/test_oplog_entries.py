"""The operations log: append-only entries, corrections, who reads what, filters and search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from tests.telemetry.helpers import add_asset, light
from vigie.accounts.domain import SYSTEM
from vigie.alarms import actions as alarms
from vigie.db import utcnow
from vigie.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from vigie.events.changes import Logged
from vigie.oplog import actions
from vigie.oplog.actions import OplogFilter
from vigie.oplog.storage import OplogEntryRow


def test_oplog_entries_write_needs_oplog_write(vigie, make_agent):
    with pytest.raises(Unauthorized):
        actions.do_write(vigie, None, "control", "Prise de poste")
    with pytest.raises(Forbidden):
        actions.do_write(vigie, make_agent("field_agent"), "control", "Prise de poste")
    with pytest.raises(Forbidden):
        actions.list_entries(vigie, make_agent("field_agent"), OplogFilter())
    op = make_agent("operator")
    e = actions.do_write(vigie, op, "lighting", "Ronde éclairage faite", "notable")
    assert (e["service"], e["kind"], e["severity"], e["actor"]) == ("lighting", "note", "notable", op.label)


@pytest.mark.parametrize(
    ("service", "text", "severity", "field"),
    [
        ("nope", "x", "info", "service"),
        ("control", "   ", "info", "text"),
        ("control", "x", "grave", "severity"),
        ("control", "a\x00b", "info", "text"),
        ("control", "x" * 4001, "info", "text"),
    ],
)
def test_oplog_entries_bad_input_names_the_field(vigie, make_agent, service, text, severity, field):
    with pytest.raises(ValidationFailed) as err:
        actions.do_write(vigie, make_agent("operator"), service, text, severity)
    assert err.value.field == field


def test_oplog_entries_correction_references_the_old_entry_which_stays(vigie, make_agent):
    op = make_agent("operator")
    old = actions.do_write(vigie, op, "winter", "Salage P1 terminé à 5 h")
    fix = actions.do_correct(vigie, op, old["id"], "Salage P1 terminé à 6 h, pas 5 h")
    assert fix["corrects_id"] == old["id"] and fix["kind"] == "correction" and fix["service"] == "winter"
    again = actions.get_entry(vigie, op, old["id"])
    assert again["text"] == "Salage P1 terminé à 5 h" and again["corrected_by"] == [fix["id"]]
    with pytest.raises(NotFound):
        actions.do_correct(vigie, op, 999_999, "rien")


def test_oplog_entries_the_database_refuses_update_and_delete(vigie, make_agent):
    e = actions.do_write(vigie, make_agent("operator"), "control", "Prise de poste")
    for statement in (
        update(OplogEntryRow).where(OplogEntryRow.id == e["id"]).values(text="changé"),
        delete(OplogEntryRow).where(OplogEntryRow.id == e["id"]),
    ):
        with vigie.db.session(write=True) as s, pytest.raises(DBAPIError, match="append-only"):
            s.execute(statement)
            s.commit()
    with vigie.db.session() as s:
        assert (
            s.scalar(text("SELECT text FROM oplog_entries WHERE id = :i"), {"i": e["id"]}) == "Prise de poste"
        )


def test_oplog_entries_filters_search_and_dates(vigie, make_agent):
    op = make_agent("operator")
    actions.do_write(vigie, op, "winter", "Verglas signalé avenue du Drapeau", "urgent")
    actions.do_write(vigie, op, "lighting", "Armoire A12 ouverte par l'entreprise")
    actions.do_write(vigie, op, "control", "Relève de l'équipe de nuit")

    def texts(**kw):
        items, total = actions.list_entries(vigie, op, OplogFilter(**kw))
        assert total == len(items)
        return [i["text"] for i in items]

    assert texts(services=("winter",)) == ["Verglas signalé avenue du Drapeau"]
    assert texts(q="VERGLAS drapeau") == ["Verglas signalé avenue du Drapeau"]
    assert texts(q="equipe") == ["Relève de l'équipe de nuit"]  # accents ignored
    assert texts(q="100%") == []  # LIKE wildcards are plain characters
    assert texts(severities=("urgent",)) == ["Verglas signalé avenue du Drapeau"]
    assert len(texts(start=utcnow() - timedelta(minutes=5))) == 3
    assert texts(end=utcnow() - timedelta(minutes=5)) == []
    with pytest.raises(ValidationFailed):
        actions.list_entries(vigie, op, OplogFilter(services=("nope",)))
    now = utcnow()
    with pytest.raises(ValidationFailed):
        actions.list_entries(vigie, op, OplogFilter(start=now, end=now))


def test_oplog_entries_a_service_stages_its_entry_in_its_own_transaction(vigie, make_agent):
    """What traffic or winter service do: stage Logged with their change; a rollback drops it."""
    with vigie.db.session(write=True) as s:
        vigie.messages.stage(
            s,
            Logged(
                service="winter",
                kind="plan.level",
                text_fr="Niveau alerte",
                text_en="Alert level",
                severity="notable",
                ref="plan:1",
            ),
        )
        s.rollback()
    with vigie.db.session(write=True) as s:
        vigie.messages.stage(
            s,
            Logged(
                service="winter",
                kind="plan.level",
                text_fr="Niveau veille",
                text_en="Watch level",
                ref="plan:2",
            ),
        )
        s.commit()
    items, _ = actions.list_entries(vigie, make_agent("operator"), OplogFilter(kinds=("plan.level",)))
    assert [(i["text"], i["ref"], i["actor"]) for i in items] == [("Niveau veille", "plan:2", SYSTEM.label)]


def test_oplog_entries_alarms_write_the_timeline_and_camera_ones_stay_with_video(
    vigie, make_pipeline, make_agent
):
    add_asset(vigie, "SL-00001")
    add_asset(vigie, "CAM-0001", "camera")
    p = make_pipeline()
    # Off: a lamp reported burning by day would also raise the day-burner alarm, by daylight only.
    p.ingest("SL-00001", light("defectiveLamp", at=0, powerState="off"))
    p.ingest("CAM-0001", b'{"ts": "%s", "online": false}' % utcnow().isoformat().encode())
    p.flush()
    op, video = make_agent("operator"), make_agent("video_operator")
    items, _ = actions.list_entries(vigie, op, OplogFilter())
    assert [(i["service"], i["kind"]) for i in items] == [("lighting", "alarm.raised")]
    assert items[0]["ref"].startswith("alarm:") and items[0]["severity"] == "notable"
    alarm_id = int(items[0]["ref"].split(":")[1])
    alarms.do_acknowledge(vigie, alarm_id, op, "équipe prévenue")
    items, _ = actions.list_entries(vigie, op, OplogFilter(ref=f"alarm:{alarm_id}"))
    assert [i["kind"] for i in items] == ["alarm.acknowledged", "alarm.raised"]
    assert "équipe prévenue" in items[0]["text"] and items[0]["actor"] == op.label
    seen, _ = actions.list_entries(vigie, video, OplogFilter(services=("video",)))
    assert [(i["kind"], i["detail"]["asset_id"]) for i in seen] == [("alarm.raised", "CAM-0001")]
    with pytest.raises(NotFound):
        actions.get_entry(vigie, op, seen[0]["id"])
    with pytest.raises(NotFound):
        actions.do_correct(vigie, op, seen[0]["id"], "vu")


def test_oplog_entries_summary_of_a_shift(vigie, make_agent):
    op = make_agent("operator")
    first = actions.do_write(vigie, op, "winter", "Verglas avenue du Drapeau", "urgent")
    actions.do_correct(vigie, op, first["id"], "Verglas rue du Drapeau")
    with vigie.db.session(write=True) as s:
        vigie.messages.stage(
            s, Logged(service="lighting", kind="alarm.raised", text_fr="Panne", severity="urgent")
        )
        s.commit()
    start, end = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
    summary = actions.shift_summary(vigie, op, start, end)
    assert summary.total == 3
    assert summary.by_service == {"winter": 2, "lighting": 1}
    assert summary.by_kind["winter"] == {"note": 1, "correction": 1}
    assert [e["text"] for e in summary.urgent] == ["Panne"]
    assert [e["text"] for e in summary.manual] == ["Verglas avenue du Drapeau"]
    assert [e["text"] for e in summary.corrections] == ["Verglas rue du Drapeau"]
    default = actions.shift_summary(vigie, op)  # the shift under way (06/14/22 h, Paris time)
    assert default.start <= utcnow() < default.end
    assert default.start.astimezone(vigie.city.timezone).hour in (6, 14, 22)
    with pytest.raises(ValidationFailed):
        actions.shift_summary(vigie, op, end, start)


def test_oplog_entries_shift_across_daylight_saving_lasts_an_hour_more():
    from zoneinfo import ZoneInfo

    from vigie.oplog.domain import parse_shift_starts, shift_around

    tz = ZoneInfo("Europe/Paris")
    # 25 October 2026: clocks go back at 03:00 local; the night shift 22:00-06:00 lasts 9 hours.
    start, end = shift_around(
        datetime(2026, 10, 25, 2, 0, tzinfo=UTC), parse_shift_starts("06:00,14:00,22:00"), tz
    )
    assert (start.astimezone(tz).hour, end.astimezone(tz).hour) == (22, 6)
    assert end - start == timedelta(hours=9)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_shift_starts("6h")
