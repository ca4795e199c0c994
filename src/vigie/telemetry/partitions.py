"""Partitions of the telemetry ingest, leased through PostgreSQL advisory locks.

Every asset belongs to one of ``n`` partitions (a CRC-32 of its id). Each ingest
process holds, on one PostgreSQL connection of its own, a *member* lock (so that
the members can be counted) and the locks of the partitions it consumes. Locks are
the lease: PostgreSQL frees them the moment the holder's session ends (process
killed, machine gone once TCP notices), and another member takes the partitions on
its next round. Why advisory locks rather than a lease table with heartbeats:
docs/decisions/0004-partitioned-ingest.md.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import socket
import zlib
from typing import Any

log = logging.getLogger(__name__)

# Two-key advisory locks (classid, objid): the classes keep them apart from the
# ingest leader's one-key lock (vigie.telemetry.leader) and from anyone else's.
PARTITION_CLASS = 0x56494750  # "VIGP"
MEMBER_CLASS = 0x5649474D  # "VIGM"


def partition_of(asset_id: str, partitions: int) -> int:
    """The partition of an asset: stable across processes, machines and Python versions."""
    return zlib.crc32(asset_id.encode("utf-8")) % partitions


def fair_share(partitions: int, members: int) -> int:
    """How many partitions one member should hold when ``members`` share them."""
    return math.ceil(partitions / max(members, 1))


class PartitionLeases:
    """This process's member lock and partition locks, on one connection.

    Not thread-safe: the ingest's rebalancing round is its only user.
    """

    def __init__(self, database_url: str, partitions: int) -> None:
        self.dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
        self.partitions = partitions
        self.held: set[int] = set()
        self.member_id = 0
        self._conn: Any = None

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def join(self) -> None:
        """Connect and take a member lock (a random id: two processes never share one)."""
        import psycopg

        # The application name says in pg_stat_activity which process holds which partition.
        name = f"vigie-ingest {os.getpid()}@{socket.gethostname()}"[:63]
        conn = psycopg.connect(self.dsn, autocommit=True, application_name=name)
        for _ in range(20):
            member = random.randint(1, 2**31 - 1)  # noqa: S311 - an id, not a secret
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (MEMBER_CLASS, member)).fetchone()
            if row and row[0]:
                self._conn, self.member_id, self.held = conn, member, set()
                return
        conn.close()
        raise RuntimeError("could not take an ingest member lock")

    def members(self) -> int:
        """Ingest processes alive on this database (this one included)."""
        row = self._conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE d.datname = current_database() AND l.locktype = 'advisory' "
            "AND l.classid = %s AND l.objsubid = 2 AND l.granted",
            (MEMBER_CLASS,),
        ).fetchone()
        return int(row[0]) if row else 1

    def try_take(self, partition: int) -> bool:
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (PARTITION_CLASS, partition)
        ).fetchone()
        if row and row[0]:
            self.held.add(partition)
            return True
        return False

    def give_back(self, partition: int) -> None:
        self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (PARTITION_CLASS, partition))
        self.held.discard(partition)

    def candidates(self) -> list[int]:
        """Partitions not held here, from a place of this member's own (fewer collisions
        when several members look for free partitions at once)."""
        start = self.member_id % self.partitions
        order = [(start + i) % self.partitions for i in range(self.partitions)]
        return [p for p in order if p not in self.held]

    def leave(self) -> None:
        """Close the connection: PostgreSQL frees every lock it held."""
        conn, self._conn = self._conn, None
        self.held = set()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
