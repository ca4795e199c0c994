"""The anonymous submission limit holds across worker processes (issue 15: 54 of 90 passed
with two workers for a limit of 30): two real `vigie serve` workers, the database or Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.limits.conftest import REDIS_URL, needs_redis
from tests.reports.helpers import report_body
from tests.web.live import free_port

LIMIT = 30
pytestmark = pytest.mark.slow


def serve(url: str, data_dir: Path, **extra: str) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = free_port()
    env = {
        **os.environ,
        "VIGIE_DATABASE_URL": url,
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_PORT": str(port),
        "VIGIE_WORKERS": "2",
        "VIGIE_ENVIRONMENT": "test",
        "VIGIE_LOG_LEVEL": "warning",
        "VIGIE_BACKGROUND_SERVICES": "false",
        "VIGIE_ANONYMOUS_RATE_LIMIT": str(LIMIT),
        **extra,
    }
    proc = subprocess.Popen([sys.executable, "-m", "vigie.cli", "serve"], env=env)
    base = f"http://127.0.0.1:{port}"
    # Two workers importing everything on a loaded machine (the whole suite beside) take a while.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("vigie serve did not start")


def submit_many(base: str, n: int) -> tuple[list[int], float]:
    started = time.monotonic()

    def one(_: int) -> int:
        # A new connection each time: the two workers take turns accepting them.
        return httpx.post(base + "/api/v1/reports", json=report_body(), timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(n)))
    return codes, time.monotonic() - started


def check_limit(codes: list[int], elapsed: float) -> None:
    passed = codes.count(201)
    # The rate: LIMIT at once, then one more every 60/LIMIT seconds.
    assert LIMIT <= passed <= LIMIT + 1 + int(elapsed / (60 / LIMIT)), (passed, elapsed)
    assert codes.count(429) == len(codes) - passed


@pytest.mark.parametrize("backend", ["database", pytest.param("redis", marks=needs_redis)])
def test_limits_submission_limit_is_shared_by_two_workers(database_url, tmp_path, backend, redis_prefix):
    extra = (
        {"VIGIE_REDIS_URL": REDIS_URL, "VIGIE_REDIS_KEY_PREFIX": redis_prefix} if backend == "redis" else {}
    )
    proc, base = serve(database_url, tmp_path, **extra)
    try:
        codes, elapsed = submit_many(base, 3 * LIMIT)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    check_limit(codes, elapsed)
