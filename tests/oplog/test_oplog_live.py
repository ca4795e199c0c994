"""New operations log entries reach the live streams once committed, and only readers who
may read them (the SSE stream /api/v1/events/oplog)."""

from __future__ import annotations

import httpx
import pytest

from tests.events.test_events_sse import _next_event, _subscribe
from tests.reports.helpers import report_body
from tests.web.live import LiveServer
from vigie.events.changes import Logged
from vigie.events.domain import DomainEvent
from vigie.oplog import actions
from vigie.oplog.storage import OplogEntryRow


class Spy:
    def __init__(self, bus):  # type: ignore[no-untyped-def]
        self.hub = bus.hub
        self.events: list[DomainEvent] = []

    def publish(self, events: list[DomainEvent]) -> None:
        self.events.extend(events)


@pytest.fixture
def spy(vigie):  # type: ignore[no-untyped-def]
    spy = Spy(vigie.bus)
    vigie.bus = spy
    return spy


def _stage(vigie, text: str, commit: bool, **over) -> None:  # type: ignore[no-untyped-def]
    with vigie.db.session(write=True) as s:
        values = {"service": "winter", "kind": "winter.level", **over}
        vigie.messages.stage(s, Logged(text_fr=text, **values))
        if commit:
            s.commit()
        else:
            s.rollback()


def test_oplog_live_staged_entry_published_after_commit_only(vigie, spy):
    _stage(vigie, "Plan hivernal : niveau alerte", commit=False)
    assert spy.events == []
    _stage(vigie, "Plan hivernal : niveau intervention", commit=True, visible_to="winter.read")
    (event,) = spy.events
    with vigie.db.session() as s:
        row_id = s.query(OplogEntryRow.id).scalar()
    assert event.type == "oplog.entry" and not event.public and event.report_ids == ()
    assert event.payload == {"kind": "oplog", "id": row_id, "visible_to": "winter.read"}
    assert event.agent["text"] == "Plan hivernal : niveau intervention" and "truncated" not in event.agent
    # The same session used again publishes its next entries once, not the earlier ones again.
    with vigie.db.session(write=True) as s:
        for n in range(2):
            vigie.messages.stage(s, Logged(service="control", kind="note", text_fr=f"n{n}"))
            s.commit()
    assert [e.agent["text"] for e in spy.events[1:]] == ["n0", "n1"]


def test_oplog_live_long_texts_cut_to_fit_a_notify(vigie, make_agent, spy):
    long = "verglas " * 500  # 4,000 characters
    entry = actions.do_write(vigie, make_agent("operator"), "winter", long.strip())
    (event,) = spy.events
    assert event.payload["id"] == entry["id"] and event.agent["truncated"] is True
    assert len(event.agent["text"]) == actions.LIVE_TEXT_MAX
    assert len(event.to_json().encode()) < 7900


def test_oplog_live_stream_gives_each_reader_what_they_may_read(vigie, auth):
    with LiveServer(vigie) as live:
        assert httpx.get(live.url + "/api/v1/events/oplog").status_code == 401
        assert httpx.get(live.url + "/api/v1/events/oplog", headers=auth("field_agent")).status_code == 403
        op, stop_op = _subscribe(live.url + "/api/v1/events/oplog", auth("operator"))
        vo, stop_vo = _subscribe(live.url + "/api/v1/events/oplog", auth("video_operator"))
        agents, stop_agents = _subscribe(live.url + "/api/v1/events/agent", auth("operator"))
        _stage(
            vigie, "Alerte de conformité : CAM-0001", commit=True, service="video", visible_to="video.cameras"
        )
        _stage(vigie, "Ronde faite", commit=True, service="control")
        assert _next_event(vo)[1]["text"] == "Alerte de conformité : CAM-0001"
        assert _next_event(vo)[1]["text"] == "Ronde faite"
        kind, data = _next_event(op)  # the camera's entry never reached the operator
        assert (kind, data["text"], data["service"]) == ("oplog.entry", "Ronde faite", "control")
        # The agents' stream leaves the log to its own stream: the next event it gets is a report's.
        httpx.post(live.url + "/api/v1/reports", json=report_body())
        assert _next_event(agents)[0] == "report.created"
        for stop in (stop_op, stop_vo, stop_agents):
            stop.set()
