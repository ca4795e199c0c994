"""The ingest spread over two processes (PostgreSQL, a real Mosquitto), one killed mid-stream.

Two `vigie telemetry ingest` processes share four partitions of 24 lighting cabinets.
Every cabinet publishes a cycle of twelve messages, again and again: 230 V ×3, 170 V ×3
(the power-loss alarm is raised: below 180 V), 195 V ×3 (still active: it clears only
above 207 V), 215 V ×3 (cleared). One process is killed with SIGKILL in the middle:
its partitions are taken over by the other, which continues from the states and
alarms the first left in the database. Every message published after the kill is
stored, and every cycle published after it leaves exactly the alarm a single ordered
evaluation gives: raised at its first 170 V message, three messages counted, last seen
at its last 170 V message, cleared by a 215 V message, never by a 195 V one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PG_URL
from tests.telemetry.devices import CYCLE, Publisher, at, holder_pid, holders, stored
from tests.telemetry.helpers import Broker, add_asset, wait_until
from vigie.alarms.storage import AlarmEventRow, AlarmRow
from vigie.runtime import Vigie
from vigie.telemetry.storage import TelemetryLatestRow

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not PG_URL, reason="the partitioned ingest needs PostgreSQL"),
]

CABINETS = [f"CAB-{n:04d}" for n in range(1, 25)]
ROUNDS = 100  # messages per cabinet: eight cycles and the start of a ninth (alarm active at the end)


def ingest_process(database_url: str, broker: Broker, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VIGIE_DATABASE_URL": database_url,
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_ENVIRONMENT": "test",
        "VIGIE_MQTT_URL": broker.url,
        "VIGIE_TELEMETRY_PARTITIONS": "4",
        # The latest-state copy far behind the series: the process taking a partition
        # over must rebuild the states from the samples the killed one wrote.
        "VIGIE_TELEMETRY_LATEST_FLUSH_SECONDS": "3600",
        "VIGIE_LOG_LEVEL": "info",
    }
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "vigie.cli", "telemetry", "ingest"], env=env, stdout=out, stderr=out
        )


def test_partitioned_ingest_survives_a_process_killed(vigie: Vigie, broker: Broker, tmp_path: Path) -> None:
    for cabinet in CABINETS:
        add_asset(vigie, cabinet, "cabinet")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [
        ingest_process(vigie.settings.resolved_database_url, broker, tmp_path / n, log)
        for n, log in zip("ab", logs, strict=True)
    ]
    publisher = Publisher(broker.port, CABINETS, ROUNDS)
    try:
        # Both processes hold two of the four partitions.
        def shared() -> bool:
            owners = holders(vigie)
            return len(owners) == 4 and len(set(owners.values())) == 2

        wait_until(shared, timeout=90, every=0.2)
        # Every partition's session is subscribed once a first message of each cabinet is in.
        wait_until(lambda: publisher.probe(vigie), timeout=60, every=1.0)
        publisher.start()
        wait_until(lambda: publisher.k >= 30, timeout=30)
        victim = procs[0]
        assert victim.pid in {holder_pid(name) for name in holders(vigie).values()}
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        # Round k+1 may have started before the kill; every message of k+2 on came after it.
        killed_at = publisher.k + 2

        # The survivor takes the four partitions.
        wait_until(lambda: len(set(holders(vigie).values())) == 1 and len(holders(vigie)) == 4, timeout=30)
        assert publisher.done.wait(60)
        wanted = {(c, k) for c in CABINETS for k in range(killed_at, ROUNDS)}
        wait_until(lambda: wanted <= stored(vigie), timeout=60, every=0.3)
        survivor = procs[1]
        survivor.send_signal(signal.SIGTERM)  # writes its latest states on the way out
        assert survivor.wait(30) == 0
    finally:
        publisher.close()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    output = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)

    # The latest state of every cabinet is its last message.
    with vigie.db.session() as s:
        latest = {r.asset_id: r for r in s.scalars(select(TelemetryLatestRow))}
        alarms = list(s.scalars(select(AlarmRow).where(AlarmRow.type == "cabinet-power-loss")))
        cleared_by = {
            e.alarm_id: e.detail.get("voltage")
            for e in s.scalars(select(AlarmEventRow).where(AlarmEventRow.kind == "cleared"))
        }
    for cabinet in CABINETS:
        row = latest[cabinet]
        assert row.ts == at(ROUNDS - 1), (cabinet, row.ts, output)
        assert row.data["voltage"] == CYCLE[(ROUNDS - 1) % 12]
        assert row.data["powerConsumption"] == float(ROUNDS - 1)

    # Every cycle published after the kill: one alarm, as one ordered evaluation gives it.
    by_start = {(a.asset_id, a.first_seen): a for a in alarms}
    first_cycle = (killed_at + 11) // 12
    for cabinet in CABINETS:
        for cycle in range(first_cycle, (ROUNDS - 1) // 12 + 1):
            start = cycle * 12 + 3
            alarm = by_start.get((cabinet, at(start)))
            assert alarm is not None, (
                cabinet,
                cycle,
                sorted(a.first_seen for a in alarms if a.asset_id == cabinet),
            )
            low = min(3, ROUNDS - start)  # its 170 V messages
            assert alarm.count == low and alarm.last_seen == at(start + low - 1), (cabinet, cycle)
            still_active = start + 6 >= ROUNDS  # the ninth cycle stops at its first 170 V
            assert alarm.active is still_active, (cabinet, cycle, alarm.state)
            if not still_active:  # hysteresis: 195 V kept it, 215 V cleared it
                assert cleared_by[alarm.id] == 215.0, (cabinet, cycle, cleared_by.get(alarm.id))
    # Alarms never overlap: at most one active per cabinet, the last cycle's.
    active = sorted(a.asset_id for a in alarms if a.active)
    assert active == sorted(CABINETS)
