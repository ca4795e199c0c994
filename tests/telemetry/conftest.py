"""Fixtures of the telemetry tests: see tests/telemetry/fixtures.py (shared with tests/alarms)."""

from tests.telemetry.fixtures import app, broker, make_pipeline

__all__ = ["make_pipeline", "broker", "app"]
