"""With PostgreSQL, an event produced by one worker reaches clients of another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL
from tests.reports.helpers import report_body
from tests.web.live import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _start_worker(url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "VIGIE_DATABASE_URL": url,
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_PORT": str(port),
        "VIGIE_EVENT_BUS": "postgres",
        "VIGIE_ENVIRONMENT": "test",
        "VIGIE_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "vigie.cli", "serve"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded machine and parallel test workers start it slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("worker did not start")


@pytest.mark.skipif(not PG_URL, reason="needs VIGIE_TEST_BACKEND=postgres")
def test_events_reach_clients_of_another_worker(database_url, tmp_path):
    a, url_a = _start_worker(database_url, tmp_path)
    b, url_b = _start_worker(database_url, tmp_path)
    try:
        received: list[dict] = []
        ready = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", url_a + "/api/v1/events/public", timeout=15) as r:
                for line in r.iter_lines():
                    if line.startswith(": connected"):
                        ready.set()
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        return

        t = threading.Thread(target=listen, daemon=True)
        t.start()
        assert ready.wait(30)
        created = httpx.post(url_b + "/api/v1/reports", json=report_body(), timeout=10)
        assert created.status_code == 201, created.text
        t.join(timeout=10)
        assert [e["id"] for e in received] == [created.json()["id"]]
    finally:
        for p in (a, b):
            p.terminate()
            p.wait(timeout=10)
