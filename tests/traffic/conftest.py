"""Fixtures of the traffic tests: see tests/telemetry/fixtures.py."""

from tests.telemetry.fixtures import app, make_pipeline

__all__ = ["make_pipeline", "app"]
