"""Fixtures shared by the telemetry and alarms tests.

Both ``tests/telemetry/conftest.py`` and ``tests/alarms/conftest.py`` import
them, which makes them fixtures of those two folders only (``app`` overrides
the one of ``tests/conftest.py`` there).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.telemetry.helpers import Broker
from vigie.alarms.ingest import build_pipeline
from vigie.runtime import Vigie
from vigie.telemetry.pipeline import IngestPipeline


@pytest.fixture
def make_pipeline(vigie: Vigie) -> Iterator:  # type: ignore[type-arg]
    """make_pipeline() -> a started pipeline on the test database (stopped at the end)."""
    made: list[IngestPipeline] = []

    def make(start: bool = True) -> IngestPipeline:
        p = build_pipeline(vigie)
        if start:
            p.start()
        vigie.ingest.pipeline = p
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop()
    vigie.ingest.pipeline = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path / "mosquitto").start()
    yield b
    b.stop()


@pytest.fixture
def app(vigie: Vigie):  # type: ignore[no-untyped-def]
    from vigie.app import create_app

    return create_app(vigie=vigie)


__all__ = ["make_pipeline", "broker", "app"]
