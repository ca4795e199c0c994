"""Fixtures of the alarms tests: see tests/telemetry/fixtures.py (shared with tests/telemetry)."""

from tests.telemetry.fixtures import app, broker, make_pipeline

__all__ = ["make_pipeline", "broker", "app"]
