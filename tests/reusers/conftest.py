"""The quota windows are fixed minutes and days: the tests hold the clock still inside one."""

from __future__ import annotations

import pytest

from vigie.reusers import quota

# One second into a minute, hours before the end of the UTC day.
STILL = 1_700_000_041.0


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(quota, "_now", lambda: STILL)
    return STILL
