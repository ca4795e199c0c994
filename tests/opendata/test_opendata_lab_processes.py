"""The data lab's query processes beside the web's: one per web process, taken in turns by its
threads, never shared with a forked copy, never left behind by a web process that dies, and
run without ``RLIMIT_DATA`` where /proc (Linux) is not there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from tests.opendata.helpers import published_carparks
from vigie.errors import ServiceUnavailable
from vigie.opendata.lab import datasets, run_lab_query
from vigie.opendata.lab_child import HEADER
from vigie.opendata.lab_worker import LabLimit, Limits, lab_process
from vigie.settings import Settings

# A query that runs for as long as nobody stops it (10^14 rows to join).
ENDLESS = "SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range % 7 = b.range"


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    return vigie_settings.model_copy(update={"lab_seconds": 2.0})


@pytest.fixture
def published(vigie, make_agent):
    return published_carparks(vigie, make_agent)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by whoever adopted it, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition, what: str, seconds: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    """A wait, not a timing assertion: generous for a loaded machine."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {seconds:g} s")
        time.sleep(0.1)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_opendata_lab_threads_of_one_web_process_take_turns_on_one_child(vigie, published):
    """Each thread gets its own answer, whole, from the one child; a thread that waited for its
    turn longer than the time limit (2 s here, on a loaded machine) gets the lab's 503."""

    def one(i: int) -> object:
        sql = f"SELECT {i} AS i, count(*) AS n FROM parkings"  # noqa: S608 - the test's own
        try:
            return orjson.loads(run_lab_query(vigie, sql).to_bytes())["rows"]
        except ServiceUnavailable as exc:
            return exc

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, range(12)))
    answered = [i for i, a in enumerate(answers) if not isinstance(a, ServiceUnavailable)]
    assert answered and all(answers[i] == [[i, 200]] for i in answered), answers
    assert lab_process(vigie).started == 1


def test_opendata_lab_a_forked_copy_starts_its_own_child(vigie, published):
    """A copy forked while a thread holds the parent's child (in a query) forgets that child and
    its turn: its first query starts its own child at once, and the parent's goes on."""
    assert orjson.loads(run_lab_query(vigie, "SELECT 1 AS n").to_bytes())["rows"] == [[1]]
    parents = lab_process(vigie).pid
    views = {name: str(path) for name, path in datasets(vigie).items()}
    request = {"sql": "SELECT count(*) AS n FROM parkings", "views": views, "rows": 10, "max_bytes": 1 << 20}
    outcome: list[object] = []
    busy = threading.Thread(target=lambda: outcome.append(_endless(vigie)))
    busy.start()
    wait_for(lambda: lab_process(vigie)._turn.locked(), "in a query")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: report what it saw, never return into pytest
        try:
            process = lab_process(vigie)
            seen = process.pid
            answer = process.ask(request, Limits(seconds=30.0, memory_mb=256, rows=10, max_bytes=1 << 20))
            report = {"seen": seen, "own": process.pid, "answer": orjson.loads(answer)["rows"]}
            process.stop()
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        report = json.loads(f.read() or b"{}")
    os.waitpid(pid, 0)
    busy.join()
    assert report["seen"] is None and report["answer"] == [[200]]
    assert report["own"] not in (None, parents) and not alive(report["own"])
    assert isinstance(outcome[0], LabLimit)  # the parent's query met its time limit, as usual
    assert orjson.loads(run_lab_query(vigie, "SELECT 2 AS n").to_bytes())["rows"] == [[2]]


def _endless(vigie) -> object:  # type: ignore[no-untyped-def]
    try:
        return run_lab_query(vigie, ENDLESS)
    except LabLimit as exc:
        return exc


STAND_IN = textwrap.dedent(
    """
    import sys
    from vigie.opendata.lab_worker import LabProcess, Limits
    limits = Limits(seconds=3600.0, memory_mb=256, rows=10, max_bytes=1 << 20)
    process = LabProcess(256)
    process.ask({"sql": "SELECT 1", "views": {}, "rows": 10, "max_bytes": 1 << 20}, limits)
    print(process.pid, flush=True)
    process.ask({"sql": sys.argv[1], "views": {}, "rows": 10, "max_bytes": 1 << 20}, limits)
    """
)


def test_opendata_lab_child_ends_when_its_web_process_dies_in_a_query(tmp_path):
    """A web process killed while its child runs a query: nobody is left to kill the child at
    the time limit, and it used to run on (here for ever); it ends on its own."""
    web = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", STAND_IN, ENDLESS], stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(web.stdout.readline())  # type: ignore[union-attr]
        start = cpu_ticks(child)
        wait_for(lambda: cpu_ticks(child) > start + 20, "running the query")
        web.send_signal(signal.SIGKILL)
        web.wait()
        wait_for(lambda: not alive(child), "ended")
    finally:
        web.kill()
        web.wait()
        if "child" in locals() and alive(child):
            os.kill(child, signal.SIGKILL)


CHILD = textwrap.dedent(
    """
    import os, sys
    from vigie.opendata import lab_child
    lab_child.LINUX = sys.argv[1] == "linux"  # what the child reads of the platform it runs on
    sys.exit(lab_child.main(["lab_child", "256", str(os.getppid())]))
    """
)


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_opendata_lab_child_sets_rlimit_data_on_linux_only(platform):
    """Elsewhere than Linux (macOS) there is no /proc to read and ``RLIMIT_DATA`` bounds nothing:
    the child runs its queries without that limit (DuckDB's own and the time limit remain).
    The other platform's branch is taken here on Linux: a Mac is not at hand."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", CHILD, platform], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        body = orjson.dumps({"sql": "SELECT 40 + 2 AS n", "views": {}, "rows": 10, "max_bytes": 1 << 20})
        child.stdin.write(len(body).to_bytes(4, "big") + body)  # type: ignore[union-attr]
        child.stdin.flush()  # type: ignore[union-attr]
        kind, _, length = HEADER.unpack(child.stdout.read(HEADER.size))  # type: ignore[union-attr]
        assert (kind, orjson.loads(child.stdout.read(length))["rows"]) == (b"R", [[42]])  # type: ignore[union-attr]
        limits = Path(f"/proc/{child.pid}/limits").read_text()
        data = next(line for line in limits.splitlines() if line.startswith("Max data size"))
        assert ("unlimited" not in data) is (platform == "linux"), data
    finally:
        child.stdin.close()  # type: ignore[union-attr]
        assert child.wait(timeout=60) == 0


def test_opendata_lab_child_refusals_leave_no_traceback(monkeypatch, capfd):
    """What escaped a query in the query process (pyarrow's allocator raises OSError at the
    memory limit) ended the process with a traceback in the server's log. It is answered as
    the memory limit now, with nothing written; only a genuine internal error leaves its
    traceback (and the query is answered as failed). The process ends after either."""
    from vigie.opendata import lab_child

    body = orjson.dumps({"sql": "SELECT secret_words", "views": {}, "rows": 1, "max_bytes": 1})

    def raising(exc: BaseException):  # type: ignore[no-untyped-def]
        def run(request, memory_mb):  # type: ignore[no-untyped-def]
            raise exc

        return run

    oom = OSError("Out of Memory Error: ArrowBuffer: failed to allocate 33554432 bytes\n\nPossible solutions")
    for exc in (oom, MemoryError()):
        monkeypatch.setattr(lab_child, "answer", raising(exc))
        kind, reply, ending = lab_child.respond(body, 64)
        assert (kind, orjson.loads(reply)["kind"], ending) == (lab_child.ERROR, "memory", True)
    assert capfd.readouterr().err == ""
    monkeypatch.setattr(lab_child, "answer", raising(KeyError("views")))
    kind, reply, ending = lab_child.respond(body, 64)
    assert (orjson.loads(reply)["kind"], ending) == ("failed", True)
    err = capfd.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "secret_words" not in err


def test_opendata_lab_limit_is_one_log_line_without_the_statement(vigie, published, caplog):
    """A query stopped at a limit is one line of the server's log naming the limit."""
    import logging

    sql = "SELECT list(range) AS secret_words FROM range(3000000)"
    with caplog.at_level(logging.INFO, logger="vigie.opendata.lab_worker"), pytest.raises(LabLimit):
        run_lab_query(vigie, sql)
    lines = [r.getMessage() for r in caplog.records if r.name == "vigie.opendata.lab_worker"]
    assert len(lines) == 1 and lines[0].startswith("data lab query stopped at its "), lines
    assert "secret_words" not in caplog.text and not any(r.exc_info for r in caplog.records)
