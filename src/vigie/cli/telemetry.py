"""Commands of the telemetry context: `vigie simulate`, `vigie telemetry retention`."""

from __future__ import annotations

import json
import signal
import threading
import time
from typing import Any

import typer
from rich.console import Console

telemetry_app = typer.Typer(help="Telemetry: retention and ingest tools.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _vigie():  # type: ignore[no-untyped-def]
    from vigie.bootstrap import build_vigie
    from vigie.settings import Settings

    try:
        return build_vigie(Settings())
    except Exception as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def simulate(
    broker: str = typer.Option("", help="Broker URL (default VIGIE_MQTT_URL, else mqtt://127.0.0.1:1883)."),
    speed: float = typer.Option(None, help="Simulated time speed (default VIGIE_TELEMETRY_SIMULATOR_SPEED)."),
    duration: float = typer.Option(0, help="Stop after this many seconds (0: until Ctrl-C)."),
    qos: int = typer.Option(1, min=0, max=1, help="QoS of the published telemetry."),
    seed: int = typer.Option(None, help="Random seed (reproducible incidents)."),
    synthetic: int = typer.Option(
        0, help="Simulate a synthetic fleet of N street lights (and equipment) instead of the registry."
    ),
    client_id: str = typer.Option("vigie-simulator", help="MQTT client id."),
) -> None:
    """Publish realistic telemetry for the whole fleet to an MQTT broker, and acknowledge commands.

    Street lights follow sunset/sunrise at Dijon with 70 % flux from 22:00 to 05:00;
    lamps fail, cameras drop offline, controllers fault, roads freeze on winter nights,
    vehicles move. Topics: vigie/telemetry/{asset_id}; commands on vigie/command/+.
    """
    from datetime import UTC, datetime, timedelta

    from vigie.telemetry.fleet import infos, synthetic_rows
    from vigie.telemetry.mqtt import MqttConfig, make_client
    from vigie.telemetry.registry import AssetRegistry
    from vigie.telemetry.simulator import FleetSimulator

    v = _vigie()
    settings = v.settings
    url = broker or settings.mqtt_url or "mqtt://127.0.0.1:1883"
    cfg = MqttConfig.from_url(url, settings, client_id=client_id, persistent=False)
    if synthetic:

        def locate(lat: float, long: float) -> str:
            return getattr(v.city.zones.locate(lat, long), "code", "")

        assets = infos(synthetic_rows(synthetic, locate=locate))
    else:
        registry = AssetRegistry(v.db)
        registry.refresh()
        assets = list(registry.assets.values())
    if not assets:
        err.print(
            "[red]error:[/red] the asset registry is empty: load the Dijon fleet first "
            "(vigie demo) or pass --synthetic N",
            highlight=False,
        )
        raise typer.Exit(1)
    speed = speed if speed is not None else settings.telemetry_simulator_speed
    sim = FleetSimulator(assets, seed=seed)
    lock = threading.Lock()
    prefix = cfg.prefix
    client = make_client(cfg)
    sim_start, real_start = datetime.now(UTC), time.monotonic()

    def now() -> datetime:
        return sim_start + timedelta(seconds=(time.monotonic() - real_start) * speed)

    def on_connect(c: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
        c.subscribe(f"{prefix}/command/+", qos=1)
        err.print(f"connected to {cfg.host}:{cfg.port}", highlight=False)

    def on_message(c: Any, u: Any, msg: Any) -> None:
        asset_id = msg.topic.rsplit("/", 1)[-1]
        try:
            cmd = json.loads(msg.payload)
        except ValueError:
            return
        with lock:
            ack = sim.on_command(asset_id, cmd, now())
        c.publish(f"{prefix}/ack/{asset_id}", json.dumps(ack), qos=1)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect_async(cfg.host, cfg.port, cfg.keepalive)
    client.loop_start()
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    err.print(
        f"simulating {len(assets)} assets (speed ×{speed:g}) to {url.split('@')[-1]}; Ctrl-C stops",
        highlight=False,
    )
    sent, last_print = 0, time.monotonic()
    deadline = time.monotonic() + duration if duration else None
    try:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            with lock:
                messages = sim.step(now())
            for asset_id, payload in messages:
                client.publish(
                    f"{prefix}/telemetry/{asset_id}", json.dumps(payload, separators=(",", ":")), qos=qos
                )
            sent += len(messages)
            if time.monotonic() - last_print >= 10:
                err.print(
                    f"{sent} messages published (simulated time {now():%Y-%m-%d %H:%M})",
                    highlight=False,
                )
                last_print = time.monotonic()
            stop.wait(1.0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        client.disconnect()
        client.loop_stop()
        v.db.dispose()
    out.print(f"{sent} messages published", highlight=False)


@telemetry_app.command("retention")
def retention() -> None:
    """Fold raw samples past retention into hourly aggregates; delete what is past retention."""
    from vigie.telemetry.retention import apply_retention

    v = _vigie()
    try:
        result = apply_retention(v)
    finally:
        v.db.dispose()
    out.print(json.dumps(result), highlight=False)


@telemetry_app.command("ingest")
def ingest() -> None:
    """Run the telemetry ingest without serving the web, until SIGTERM or Ctrl-C.

    With the other background services too: when this process holds the leader lock,
    the jobs that run once (alarm timers, outbox, retention…) run here. On PostgreSQL
    with a broker it consumes its share of the partitions beside the web workers.
    """
    import asyncio

    from vigie.background import background_services

    v = _vigie()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await v.bus.start()
        started = []
        try:
            for service in background_services(v):
                await service.start()
                started.append(service)
            err.print("ingest running", highlight=False)
            await stop.wait()
        finally:
            for service in reversed(started):
                await service.stop()
            await v.bus.stop()

    try:
        asyncio.run(run())
    finally:
        if v.limits is not None:
            v.limits.close()
        v.db.dispose()
