"""Partitions of the ingest: the hash, fair shares, leases (PostgreSQL) and the state a new
owner loads (the latest copy brought up to date with the samples written after it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PG_URL
from tests.telemetry.helpers import add_asset, wait_until
from vigie.alarms.storage import AlarmRow
from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.telemetry import writer
from vigie.telemetry.partitions import PartitionLeases, fair_share, partition_of

needs_pg = pytest.mark.skipif(not PG_URL, reason="partitions are leased in PostgreSQL")


def test_partitions_partition_of_is_stable_across_versions() -> None:
    # Processes of different releases may share a deployment during an upgrade: the
    # partition of an id (and so its MQTT session) must never change.
    assert [partition_of(a, 8) for a in ("SL-00001", "CAB-0042", "CAM-0007")] == [7, 6, 0]
    assert {partition_of(f"SL-{n:05d}", 8) for n in range(200)} == set(range(8))


def test_partitions_fair_share() -> None:
    assert [fair_share(8, m) for m in (0, 1, 2, 3, 4, 8, 9)] == [8, 8, 4, 3, 2, 1, 1]


@needs_pg
def test_partitions_leases_are_exclusive_and_freed_with_their_session(vigie: Vigie) -> None:
    url = vigie.settings.resolved_database_url
    a, b = PartitionLeases(url, 4), PartitionLeases(url, 4)
    try:
        a.join()
        assert a.members() == 1
        assert all(a.try_take(p) for p in range(4))
        b.join()
        assert a.members() == b.members() == 2
        assert not any(b.try_take(p) for p in range(4))
        a.give_back(3)
        assert b.try_take(3) and not a.try_take(3)
        a.leave()  # as when its process dies: the session ends, its locks go
        wait_until(lambda: b.members() == 1, timeout=10)  # once its backend has exited
        assert all(b.try_take(p) for p in range(3)) and b.held == {0, 1, 2, 3}
    finally:
        a.leave()
        b.leave()


@needs_pg
def test_partitions_load_state_replays_the_samples_after_the_copy(vigie: Vigie) -> None:
    for asset_id in ("CAB-0001", "CAB-0002", "CAB-0003"):
        add_asset(vigie, asset_id, "cabinet")
    t0 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    ms = int(t0.timestamp() * 1000)

    def sample(asset_id: str, at: int, **values: object) -> writer.Sample:
        stamp = (t0 + timedelta(milliseconds=at - ms)).isoformat().replace("+00:00", "Z")
        return (asset_id, at, json.dumps({"ts": stamp, **values}))

    newest = sample("CAB-0001", ms + 2000, powerConsumption=5.0, x={"fw": "2"})
    samples = [
        sample("CAB-0001", ms - 1000, voltage=100.0),  # older than the copy: left out
        sample("CAB-0001", ms + 1000, voltage=170.0),
        newest,
        sample("CAB-0002", ms + 500, voltage=200.0),  # no copy yet: every sample counts
    ]
    copy = [("CAB-0001", ms, ms + 50, {"voltage": 230.0, "doorOpen": False})]
    writer.write_batch(vigie.db, samples, [], [], copy)
    with vigie.db.session() as s:
        states = {a: rest for a, *rest in writer.load_state(s, ["CAB-0001", "CAB-0002", "CAB-0003"])}
    assert states["CAB-0001"] == [
        ms + 2000,
        ms + 2000,
        {"voltage": 170.0, "doorOpen": False, "powerConsumption": 5.0},
        newest[2],  # a redelivery of the last message is recognised as a duplicate
    ]
    assert states["CAB-0002"] == [ms + 500, ms + 500, {"voltage": 200.0}, samples[3][2]]
    assert "CAB-0003" not in states  # never reported


def test_partitions_heartbeats_judge_only_the_partition_from_its_taking(vigie: Vigie, make_pipeline) -> None:  # type: ignore[no-untyped-def]
    for asset_id in ("CAM-0001", "CAM-0002"):
        add_asset(vigie, asset_id, "camera")
    p = make_pipeline()
    mine = [p.registry.assets["CAM-0001"]]  # CAM-0002 is another process's
    taken = utcnow()
    # Never heard of since the partition was taken 9 minutes ago: not silent yet (10 min).
    assert p.check_heartbeats(taken + timedelta(minutes=9), assets=mine, since=taken) == 0
    assert p.check_heartbeats(taken + timedelta(minutes=11), assets=mine, since=taken) == 1
    p.flush()
    with vigie.db.session() as s:
        assert [(a.asset_id, a.type) for a in s.scalars(select(AlarmRow))] == [("CAM-0001", "camera-silent")]
