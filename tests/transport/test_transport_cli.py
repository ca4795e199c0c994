from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vigie.cli import app


def test_transport_cli_check_summarises_a_valid_feed(small_feed: Path):
    result = CliRunner().invoke(app, ["transport", "check", str(small_feed)])
    assert result.exit_code == 0
    assert "valid — 2 routes (2 tram), 2 with shapes" in result.output
    assert "1080 stops" in result.output


def test_transport_cli_check_lists_problems_and_fails(small_feed: Path):
    (small_feed / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\n1,A,north,5.0\n")
    result = CliRunner().invoke(app, ["transport", "check", str(small_feed)])
    assert result.exit_code == 1
    assert "stops.txt:2: stop_lat: 'north' is not a latitude" in result.output
    assert "1 problem in" in result.output
