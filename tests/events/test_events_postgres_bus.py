"""PostgresBus: events published together arrive together, in order."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PG_URL
from vigie.events.bus import make_bus
from vigie.events.domain import DomainEvent

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(not PG_URL, reason="needs VIGIE_TEST_BACKEND=postgres")
def test_events_postgres_bus_delivers_a_batch_in_order() -> None:
    async def scenario() -> list[str]:
        bus = make_bus("postgres", PG_URL)
        await bus.start()
        sub = bus.hub.subscribe(lambda e: e.type.startswith("test."))
        try:
            one = [DomainEvent(type="test.single", report_ids=(), public=False, payload={}, agent={})]
            batch = [
                DomainEvent(type=f"test.batch{i}", report_ids=(i,), public=False, payload={"n": i}, agent={})
                for i in range(5)
            ]
            await asyncio.to_thread(bus.publish, one)
            await asyncio.to_thread(bus.publish, batch)
            return [(await asyncio.wait_for(sub.get(), 10)).type for _ in range(6)]
        finally:
            sub.close()
            await bus.stop()

    # A loop of its own in a thread of its own: earlier tests (the browser's sync API)
    # may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert got == ["test.single", *(f"test.batch{i}" for i in range(5))]
