"""End to end through a real Mosquitto: telemetry -> alarm on the control-room stream ->
linked lighting report resolved -> reporter notified."""

from __future__ import annotations

import contextlib
import json
import queue
import threading

import httpx
import pytest
from sqlalchemy import select

from tests.telemetry.helpers import NEAR_DARCY, add_asset, light, publish, wait_until
from tests.web.live import LiveServer
from vigie.notifications.consent import confirm_path
from vigie.reports.actions import get_report, report_updates

# No pytest-timeout of its own: the global 300 s guard catches a hang, above the sum of the
# test's own bounded waits (the live server's start-up alone may take 60 s on a loaded machine).
pytestmark = [pytest.mark.slow]
# The bound of one request or one awaited event, as the live server's start-up's: a receipt's
# confirmation took over 10 s at load 26 on 2 cores (httpx's default is 5 s). A wait, not a
# timing: a healthy server answers long before.
WAIT = 60


def _listen(url: str, headers: dict[str, str], out: queue.Queue, ready: threading.Event) -> None:
    with contextlib.suppress(httpx.HTTPError), httpx.stream("GET", url, headers=headers, timeout=30) as r:
        event = None
        for line in r.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.put((event, json.loads(line[6:])))


def next_alarm_event(out: queue.Queue, type_: str) -> dict:
    while True:
        kind, data = out.get(timeout=WAIT)
        if kind == type_:
            return data


def test_integration_light_failure_to_resolved_report(vigie, broker, auth):
    add_asset(vigie, "SL-00042")
    vigie.settings.mqtt_url = broker.url
    vigie.settings.mqtt_client_id = "vigie-ingest-integration"
    # One ingest for the whole fleet, also on PostgreSQL (the partitioned ingest has its
    # own tests: tests/telemetry/test_telemetry_partitioned.py).
    vigie.settings.telemetry_partitions = 1
    with LiveServer(vigie) as live:
        source = wait_until(lambda: vigie.ingest.source)
        assert source.connected.wait(10)
        # A resident reports the light out before the failure is known.
        body = {
            "service_code": "luminaire-hors-service",
            "lat": NEAR_DARCY[0],
            "long": NEAR_DARCY[1],
            "description": "Lampadaire éteint devant le 12",
            "attributes": {"etat": "eteint"},
            "reporter_email": "resident@example.org",
        }
        created = httpx.post(live.url + "/api/v1/reports", json=body, timeout=WAIT)
        assert created.status_code == 201, created.text
        rid = int(created.json()["id"])
        # The resident confirms their address from the receipt, so they hear what follows.
        confirm = confirm_path(vigie.settings.secret_key, created.json()["token"])
        assert httpx.post(live.url + confirm, timeout=WAIT).status_code == 200
        out: queue.Queue = queue.Queue()
        ready = threading.Event()
        threading.Thread(
            target=_listen,
            args=(live.url + "/api/v1/events/agent", auth("operator"), out, ready),
            daemon=True,
        ).start()
        assert ready.wait(30)

        publish(broker.port, [("vigie/telemetry/SL-00042", light("defectiveLamp", at=0))])
        raised = next_alarm_event(out, "alarm.raised")
        assert raised["asset_id"] == "SL-00042" and raised["type"] == "lamp-failure"
        assert raised["report_ids"] == [rid] and raised["severity"] == "major"

        alarms = httpx.get(
            live.url + "/api/v1/alarms?state=active", headers=auth("operator"), timeout=WAIT
        ).json()
        assert [a["id"] for a in alarms["items"]] == [raised["id"]]

        publish(broker.port, [("vigie/telemetry/SL-00042", light("ok", at=1))])
        cleared = next_alarm_event(out, "alarm.cleared")
        assert cleared["id"] == raised["id"] and cleared["state"] == "cleared_unacknowledged"
        wait_until(lambda: get_report(vigie, rid).status == "resolved")

    entry = report_updates(vigie, rid)[-1]
    assert entry.kind == "status" and entry.status == "resolved" and "SL-00042" in entry.public_note
    from vigie.notifications.storage import OutboxRow

    with vigie.db.session() as s:
        queued = list(s.scalars(select(OutboxRow).where(OutboxRow.report_id == rid)))
    # The reporter's e-mail about the resolution is queued by the same transaction.
    told = [m for m in queued if m.dedupe_key.startswith(f"u{entry.id}:")]
    assert [m.recipient for m in told] == ["resident@example.org"]


def test_integration_malformed_payload_is_listed_for_agents(vigie, broker, auth):
    add_asset(vigie, "SL-00042")
    vigie.settings.mqtt_url = broker.url
    vigie.settings.mqtt_client_id = "vigie-ingest-dead"
    # One ingest for the whole fleet, also on PostgreSQL (the partitioned ingest has its
    # own tests: tests/telemetry/test_telemetry_partitioned.py).
    vigie.settings.telemetry_partitions = 1
    with LiveServer(vigie) as live:
        source = wait_until(lambda: vigie.ingest.source)
        assert source.connected.wait(10)
        publish(
            broker.port,
            [("vigie/telemetry/SL-00042", b'{"ts": "2026-11-26T10:00:00Z", "status": "on fire"}')],
        )

        def listed():  # type: ignore[no-untyped-def]
            r = httpx.get(live.url + "/api/v1/telemetry/dead-letters", headers=auth("operator"), timeout=WAIT)
            return r.json()["items"] if r.status_code == 200 else None

        (item,) = wait_until(listed)
        assert item["reason"] == "schema" and item["asset_id"] == "SL-00042" and "status" in item["detail"]
        assert httpx.get(live.url + "/api/v1/telemetry/dead-letters", timeout=WAIT).status_code == 401
        status = httpx.get(
            live.url + "/api/v1/telemetry/status", headers=auth("operator"), timeout=WAIT
        ).json()
        assert status["source"]["connected"] is True
        assert status["pipeline"]["dead_letter_reasons"] == {"schema": 1}
