"""Live events through a real server: SSE clients receive what they may see."""

from __future__ import annotations

import contextlib
import json
import queue
import threading

import httpx
import pytest

from tests.reports.helpers import report_body, sensitive_service
from tests.web.live import LiveServer
from vigie.accounts.actions import do_create_login
from vigie.accounts.sessions import do_logout
from vigie.web.deps import SESSION_COOKIE


def _listen(
    url: str,
    headers: dict[str, str],
    out: queue.Queue,
    ready: threading.Event,
    stop: threading.Event,
) -> None:
    # The server closes the stream at the end of the test.
    with contextlib.suppress(httpx.HTTPError):
        _read(url, headers, out, ready, stop)


def _read(
    url: str,
    headers: dict[str, str],
    out: queue.Queue,
    ready: threading.Event,
    stop: threading.Event,
) -> None:
    with httpx.stream("GET", url, headers=headers, timeout=30) as r:
        out.put(("status", r.status_code))
        event = None
        for line in r.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.put((event, json.loads(line[6:])))
            if stop.is_set():
                return


@pytest.fixture
def vigie_settings(vigie_settings):
    # Streams ask again whether their caller may read them once per keep-alive interval.
    return vigie_settings.model_copy(update={"sse_keepalive_seconds": 0.2})


@pytest.fixture
def live(vigie):
    with LiveServer(vigie) as server:
        yield server


def _subscribe(url, headers=None):
    out: queue.Queue = queue.Queue()
    ready, stop = threading.Event(), threading.Event()
    t = threading.Thread(target=_listen, args=(url, headers or {}, out, ready, stop), daemon=True)
    t.start()
    assert ready.wait(30), "stream did not start"
    return out, stop


def _next_event(out: queue.Queue):
    while True:
        kind, value = out.get(timeout=20)
        if kind != "status":
            return kind, value


def test_events_public_stream_gets_public_fields_only(live):
    out, stop = _subscribe(live.url + "/api/v1/events/public")
    r = httpx.post(
        live.url + "/api/v1/reports",
        json=report_body(reporter_email="carol@example.org", reporter_phone="0611223344"),
    )
    assert r.status_code == 201
    kind, data = _next_event(out)
    stop.set()
    assert kind == "report.created" and data["id"] == r.json()["id"]
    text = json.dumps(data)
    assert "carol" not in text and "0611223344" not in text and "reporter" not in data


def test_events_sensitive_reports_stay_off_the_public_stream(live, vigie):
    sensitive, attrs = sensitive_service(vigie)
    out, stop = _subscribe(live.url + "/api/v1/events/public")
    httpx.post(live.url + "/api/v1/reports", json=report_body(service_code=sensitive, attributes=attrs))
    public = httpx.post(live.url + "/api/v1/reports", json=report_body())
    kind, data = _next_event(out)
    stop.set()
    assert data["id"] == public.json()["id"]


def test_events_agent_stream_needs_login_and_carries_contact(live, auth):
    assert httpx.get(live.url + "/api/v1/events/agent").status_code == 401
    out, stop = _subscribe(live.url + "/api/v1/events/agent", auth("operator"))
    httpx.post(live.url + "/api/v1/reports", json=report_body(reporter_email="dan@example.org"))
    kind, data = _next_event(out)
    stop.set()
    assert data["reporter"]["email"] == "dan@example.org"


def test_events_agent_stream_ends_once_its_session_is_signed_out(live, vigie, make_agent):
    """A control room's stream (its session cookie) carried every new report's contact data
    after the agent signed out, for as long as it stayed open (seen on a running demo)."""
    session, _ = do_create_login(vigie.db, make_agent("operator"), "session", 1)
    out: queue.Queue = queue.Queue()
    ready = threading.Event()

    def read() -> None:
        url = live.url + "/api/v1/events/agent"
        cookies = {SESSION_COOKIE: session}
        with contextlib.suppress(httpx.HTTPError), httpx.stream("GET", url, cookies=cookies, timeout=60) as r:
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("data: "):
                    out.put(json.loads(line[6:]))
        out.put("closed")

    threading.Thread(target=read, daemon=True).start()
    assert ready.wait(30), "stream did not start"
    do_logout(vigie.db, session)
    assert out.get(timeout=30) == "closed"  # within a keep-alive interval (0.2 s here)


def test_events_tracking_stream_follows_status_changes(live, auth):
    created = httpx.post(live.url + "/api/v1/reports", json=report_body()).json()
    out, stop = _subscribe(live.url + f"/api/v1/events/track/{created['token']}")
    op = auth("operator")
    httpx.post(
        live.url + f"/api/v1/reports/{created['id']}/acknowledge",
        json={"public_note": "Vu"},
        headers=op,
    )
    kind, data = _next_event(out)
    stop.set()
    assert kind == "report.updated" and data["status"] == "acknowledged" and data["status_notes"] == "Vu"
    assert httpx.get(live.url + "/api/v1/events/track/nope").status_code == 404
