"""LeaderJob: the work runs on the leader only, at its period, and survives a failure."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Any

from vigie.periodic import LeaderJob


def _run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` on an event loop of its own (a test before may have left one running here)."""
    thread = threading.Thread(target=lambda: asyncio.run(scenario()))
    thread.start()
    thread.join(timeout=30)


def _platform(leader: bool) -> Any:
    return SimpleNamespace(ingest=SimpleNamespace(leader=leader))


def test_periodic_job_runs_on_the_leader_and_goes_on_after_a_failure() -> None:
    calls: list[int] = []

    def work(v: Any) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("first run fails")

    async def scenario() -> None:
        job = LeaderJob(_platform(True), "test", work, period=0.01, first_after=0)
        await job.start()
        await asyncio.sleep(0.2)
        await job.stop()

    _run(scenario)
    assert len(calls) >= 3  # the failure did not stop the job


def test_periodic_job_waits_on_a_follower() -> None:
    calls: list[int] = []

    async def scenario() -> None:
        job = LeaderJob(_platform(False), "test", lambda v: calls.append(1), period=0.01, first_after=0)
        await job.start()
        await asyncio.sleep(0.1)
        await job.stop()

    _run(scenario)
    assert calls == []
