"""The interpreter settings of an ingesting process, shared by both ingest layouts."""

from __future__ import annotations

import gc
import sys

import pytest

from vigie.telemetry.service import ProcessTuning


def test_service_tuning_applies_once_and_is_undone() -> None:
    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    tuning = ProcessTuning()
    tuning.apply(1.0)
    try:
        assert sys.getswitchinterval() == pytest.approx(0.001)
        assert gc.get_threshold()[0] >= 20_000
        assert gc.get_freeze_count() > 0
        tuning.apply(2.0)  # already applied: the settings to restore stay the first ones
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        tuning.undo()
    assert sys.getswitchinterval() == interval
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0
    tuning.undo()  # twice is harmless
    assert sys.getswitchinterval() == interval
