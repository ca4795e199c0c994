"""The data lab under `vigie serve` with two workers: each worker runs its queries in a query
process of its own; a query killed at its time limit leaves the next ones working; a worker
killed leaves no query process behind, nor does the server's end."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.limits.test_limits_workers import serve
from tests.opendata.helpers import published_carparks
from tests.opendata.test_opendata_lab_processes import alive, wait_for

pytestmark = pytest.mark.slow

QUERY = "/api/v1/lab/query"
COUNT = "SELECT count(*) AS n FROM parkings"
SLOW = "SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range % 7 = b.range"


def _processes() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        yield int(entry.name), int(stat.rsplit(")", 1)[1].split()[1]), args


def lab_children(server: int) -> dict[int, list[int]]:
    """Each worker of ``server`` (its children running the app) and its query processes."""
    found = list(_processes())
    workers = [pid for pid, parent, args in found if parent == server and "multiprocessing" in args]
    workers = [pid for pid in workers if "resource_tracker" not in dict((p, a) for p, _, a in found)[pid]]
    return {
        w: [pid for pid, parent, args in found if parent == w and "vigie.opendata.lab_child" in args]
        for w in workers
    }


def ask(base: str, sql: str) -> httpx.Response:
    # A new connection each time: the two workers take turns accepting them.
    return httpx.post(base + QUERY, json={"sql": sql}, timeout=120)


def test_opendata_lab_two_workers_each_their_own_query_process(
    vigie, vigie_settings, make_agent, database_url
):
    published_carparks(vigie, make_agent)
    proc, base = serve(
        database_url,
        vigie_settings.data_dir,
        VIGIE_LAB_SECONDS="3",
        VIGIE_QUOTA_ANONYMOUS_PER_MINUTE="0",
        VIGIE_QUOTA_ANONYMOUS_PER_DAY="0",
    )
    seen: set[int] = set()
    try:
        # Queries from four threads at once until both workers have answered one.
        with ThreadPoolExecutor(4) as pool:
            for _ in range(25):
                answers = list(pool.map(lambda _: ask(base, COUNT), range(8)))
                assert [(r.status_code, r.json()["rows"]) for r in answers] == [(200, [[200]])] * 8
                if all(lab_children(proc.pid).values()):
                    break
        children = lab_children(proc.pid)
        assert len(children) == 2, children
        # One query process per worker, however many threads asked at once; none shared.
        assert all(len(c) == 1 for c in children.values()), children
        assert len({c[0] for c in children.values()}) == 2
        seen.update(c[0] for c in children.values())

        # Past the time limit the query process is killed; every next query works, on both.
        killed = ask(base, SLOW)
        assert killed.status_code == 400 and killed.json()["limit"] == "seconds", killed.text
        assert sum(not alive(pid) for pid in seen) == 1
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: ask(base, COUNT), range(16)))
        assert [(r.status_code, r.json()["rows"]) for r in answers] == [(200, [[200]])] * 16
        children = lab_children(proc.pid)
        assert all(len(c) <= 1 for c in children.values()), children
        seen.update(pid for c in children.values() for pid in c)

        # A worker killed: its query process ends with it.
        worker, (child,) = next((w, c) for w, c in children.items() if c)
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not alive(child), "ended after its worker")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        # The server's end: no query process of any of its workers is left.
        wait_for(lambda: not any(alive(pid) for pid in seen), "ended after the server")
