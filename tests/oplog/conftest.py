"""Fixtures of the operations log tests (the ingest pipeline is shared with tests/telemetry)."""

from tests.telemetry.fixtures import make_pipeline

__all__ = ["make_pipeline"]
