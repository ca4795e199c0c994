"""`vigie simulate` publishes the fleet's telemetry to a broker; `vigie telemetry retention` runs."""

from __future__ import annotations

import json
import threading

import pytest
import typer
from typer.testing import CliRunner

from vigie.cli.telemetry import simulate, telemetry_app

from .helpers import add_asset

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cli(vigie, monkeypatch):  # type: ignore[no-untyped-def]
    s = vigie.settings
    monkeypatch.setenv("VIGIE_DATABASE_URL", s.resolved_database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("VIGIE_ENVIRONMENT", "test")
    app = typer.Typer()
    app.command("simulate")(simulate)
    app.add_typer(telemetry_app, name="telemetry")
    return app


@pytest.mark.slow
def test_cli_simulate_publishes_the_registered_fleet(cli, vigie, broker):
    import paho.mqtt.client as paho

    add_asset(vigie, "SL-00001")
    add_asset(vigie, "CAM-0001", "camera")
    got: list[tuple[str, dict]] = []
    ready = threading.Event()
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="sim-watch")
    sub.on_connect = lambda c, u, f, rc, p=None: (c.subscribe("vigie/telemetry/+", qos=1), ready.set())
    sub.on_message = lambda c, u, m: got.append((m.topic, json.loads(m.payload)))
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    try:
        assert ready.wait(30)
        result = CliRunner().invoke(
            cli, ["simulate", "--broker", broker.url, "--duration", "3", "--speed", "600", "--seed", "3"]
        )
        assert result.exit_code == 0, result.output
        assert "messages published" in result.output
    finally:
        sub.disconnect()
        sub.loop_stop()
    topics = {t for t, _ in got}
    assert topics == {"vigie/telemetry/SL-00001", "vigie/telemetry/CAM-0001"}
    assert all("ts" in p for _, p in got)


def test_cli_simulate_refuses_an_empty_registry(cli, broker):
    result = CliRunner().invoke(cli, ["simulate", "--broker", broker.url, "--duration", "1"])
    assert result.exit_code == 1 and "registry is empty" in result.output


def test_cli_retention_prints_what_it_did(cli):
    result = CliRunner().invoke(cli, ["telemetry", "retention"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["samples_folded"] == 0
