"""Fixtures of the video-protection tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.telemetry.fixtures import make_pipeline
from tests.telemetry.helpers import add_asset
from vigie.accounts.domain import Agent
from vigie.runtime import Vigie

__all__ = ["make_pipeline"]


@pytest.fixture
def roles(make_agent: Callable[..., Agent]) -> dict[str, Agent]:
    return {r: make_agent(r) for r in ("video_operator", "video_registrar", "operator", "admin")}


@pytest.fixture
def cameras(vigie: Vigie) -> list[str]:
    ids = ["CAM-0001", "CAM-0002", "CAM-0003"]
    for i in ids:
        add_asset(vigie, i, "camera")
    return ids
