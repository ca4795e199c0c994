"""The web process's side of the data lab's query process (``lab_child``): one per web process.

Design, chosen to be simple to reason about:

- One query process per web process, started with the first lab query (nothing at import or at
  start-up), reused by the next ones, stopped with the app (``stop_lab``). Queries take turns on
  it (a lock): a lab query is one DuckDB thread of CPU, the machine has few cores, and one child
  bounds what the lab can take to one memory limit per web process, however many ask at once.
  A query that waits for its turn longer than the time limit gets a 503 (the lab is busy).
- The web process holds no more of an answer than its bytes (at most ``max_bytes``): the child
  sends the answer's JSON, which the route writes out as it is, never parsed here.
- Past the time limit the child is killed (SIGKILL), wherever it is — in DuckDB, in pyarrow, in
  Python — and the next query starts another. A child that dies (its hard memory limit) is
  reported as the memory limit, and replaced the same way.
- A process forked from a web process (``os.fork``: a server preloading the app before its
  workers) never shares its parent's child: right after the fork (``os.register_at_fork``) the
  copy forgets the child, closes its copies of the pipes (the child must see its end of input
  when its own web process closes it) and takes a new turn lock (the parent's may have been held
  by a thread that does not exist in the copy). It starts its own child at its first query.
  ``vigie serve``'s workers are spawned, not forked: each imports the app and starts its own.
- A child whose web process dies (killed, crashed) ends on its own: at its next read of its
  input when idle, within a second when in a query (it watches its parent, ``lab_child``).

The child is started with ``cwd`` ``/`` and an environment reduced to what Python needs: what
DuckDB could read of the server's (its working directory, ``HOME``, the settings in the
environment) is not there to read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

import orjson

from vigie.errors import BadRequest, ServiceUnavailable
from vigie.opendata.lab_child import ANSWER, HEADER, write_all

log = logging.getLogger(__name__)

# The environment variables the child keeps: where Python and its packages are, the locale.
KEPT_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV")
# Seconds a child has to start (importing DuckDB, pyarrow) before its first query's time counts.
START_SECONDS = 60.0


class LabLimit(BadRequest):
    """A lab query went past one of its limits (``limit``: "seconds", "memory" or "bytes"): a 400
    whose problem JSON names the limit and its value, which the lab's page says in its language."""

    def __init__(self, message: str, *, limit: str, value: float) -> None:
        super().__init__(message, field="sql", reason=f"lab.limit_{limit}", params={"value": value})
        self.extra = {"limit": limit, "value": value}


@dataclass(frozen=True)
class Limits:
    seconds: float
    memory_mb: int
    rows: int
    max_bytes: int

    def exceeded(self, limit: str) -> LabLimit:
        if limit == "seconds":
            return LabLimit(
                f"the query ran longer than the lab's time limit ({self.seconds:g} s) and was "
                "stopped: filter or aggregate more",
                limit=limit,
                value=self.seconds,
            )
        if limit == "memory":
            return LabLimit(
                f"the query needed more memory than the lab's limit ({self.memory_mb} MB) and was "
                "stopped: filter or aggregate more",
                limit=limit,
                value=self.memory_mb,
            )
        mb = self.max_bytes / (1024 * 1024)
        return LabLimit(
            f"the answer is larger than the lab's size limit ({mb:g} MB): select fewer or shorter values",
            limit="bytes",
            value=mb,
        )


class LabProcess:
    """The query process of this web process, started when first asked, replaced when it dies."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.started = 0  # children started so far (a kill or a death starts another)
        self._child: subprocess.Popen[bytes] | None = None
        self._turn = threading.Lock()
        _ALL.add(self)

    def _forked(self) -> None:
        """In a forked copy of the web process: the child is the parent's, not ours."""
        child, self._child = self._child, None
        self._turn = threading.Lock()
        if child is not None:
            for stream in (child.stdin, child.stdout):
                if stream is not None:  # unbuffered: closing takes no lock another thread held
                    with contextlib.suppress(OSError):
                        stream.close()

    def _start(self) -> subprocess.Popen[bytes]:
        env = {k: os.environ[k] for k in KEPT_ENVIRONMENT if k in os.environ}
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "vigie.opendata.lab_child", str(self.memory_mb), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,  # raw pipes: nothing buffered, no buffer lock to inherit through a fork
            cwd="/",
            env=env,
            close_fds=True,
        )
        self.started += 1
        return child

    def ask(self, request: dict[str, Any], limits: Limits) -> bytes:
        """The answer's JSON, or a ``LabLimit``/``BadRequest`` saying why not."""
        if not self._turn.acquire(timeout=limits.seconds):
            raise ServiceUnavailable(
                "the data lab is busy with other queries: try again in a moment", reason="lab.busy"
            )
        try:
            return self._ask(request, limits)
        except LabLimit as exc:
            # One line naming the limit; never the statement (a reuser's text) nor a traceback.
            log.info("data lab query stopped at its %s limit", exc.extra["limit"])
            raise
        finally:
            self._turn.release()

    def _ask(self, request: dict[str, Any], limits: Limits) -> bytes:
        child = self._child
        fresh = child is None or child.poll() is not None
        if fresh:
            child = self._child = self._start()
        assert child is not None and child.stdin is not None and child.stdout is not None
        body = orjson.dumps(request)
        try:
            write_all(child.stdin.fileno(), len(body).to_bytes(4, "big") + body)
        except BrokenPipeError:
            self._reap(child)
            raise limits.exceeded("memory") from None
        # A new child's start (its imports) does not count against the query's time.
        deadline = time.monotonic() + limits.seconds + (START_SECONDS if fresh else 0.0)
        reply = self._read(child, HEADER.size, deadline)
        if reply is None:
            raise self._failed(child, limits, deadline)
        kind, ending, length = HEADER.unpack(reply)
        if length > limits.max_bytes + 64 * 1024:  # the child caps its answers: never the case
            self._kill(child)
            raise limits.exceeded("bytes")
        payload = self._read(child, length, deadline)
        if payload is None:
            raise self._failed(child, limits, deadline)
        if ending == b"X":
            self._reap(child)
        if kind == ANSWER:
            return payload
        error = orjson.loads(payload)
        if error["kind"] in ("memory", "bytes"):
            raise limits.exceeded(error["kind"])
        if error["kind"] == "path":
            raise BadRequest(
                "the answer would show where the server keeps its files: it is not sent", reason="lab.path"
            )
        raise refusal(error["kind"], error["message"], published=bool(request["views"]))

    def _failed(self, child: subprocess.Popen[bytes], limits: Limits, deadline: float) -> LabLimit:
        """The child gave no whole answer: killed at the time limit, or dead (its memory limit)."""
        timed_out = time.monotonic() >= deadline
        self._kill(child)
        return limits.exceeded("seconds" if timed_out else "memory")

    @staticmethod
    def _read(child: subprocess.Popen[bytes], n: int, deadline: float) -> bytes | None:
        """``n`` bytes from the child by ``deadline``, or ``None`` (its end, or the time out)."""
        assert child.stdout is not None
        fd = child.stdout.fileno()
        chunks: list[bytes] = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _kill(self, child: subprocess.Popen[bytes]) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        self._reap(child)

    def _reap(self, child: subprocess.Popen[bytes]) -> None:
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # its other end is gone: nothing left to flush
                    stream.close()
        child.wait()
        if self._child is child:
            self._child = None

    def stop(self) -> None:
        """End the child (if any): its input closed, it ends; one in a query is killed."""
        with self._turn:
            child, self._child = self._child, None
            if child is None:
                return
            if child.stdin is not None:
                with contextlib.suppress(OSError):  # already gone
                    child.stdin.close()
            try:
                child.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                child.kill()
            self._reap(child)

    @property
    def pid(self) -> int | None:
        """The running child's process id (tests)."""
        return self._child.pid if self._child is not None and self._child.poll() is None else None


# The query process's kinds of error -> their reason code (docs/opendata-api.md).
REFUSALS = {
    "syntax": "lab.syntax_error",
    "catalog": "lab.unknown_name",
    "permission": "lab.forbidden",
    "binder": "lab.invalid",
    "value": "lab.value",
}


def refusal(kind: str, detail: str, *, published: bool) -> BadRequest:
    """The 400 for a query DuckDB refused or could not answer: its reason code, DuckDB's own
    words (paths removed by the child) as the detail quoted after the page's sentence."""
    if kind == "catalog" and not published:
        code = "lab.nothing_published"
    else:
        code = REFUSALS.get(kind, "lab.failed")
    if kind == "value":
        message = f"a value cannot be written in the answer ({detail}): cast it to text (::VARCHAR)"
    else:
        message = f"query {'failed' if code == 'lab.failed' else 'refused'}: {detail}"
    return BadRequest(message, field="sql", reason=code, params={"detail": detail})


_ALL: weakref.WeakSet[LabProcess] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for process in list(_ALL):
        process._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)


def lab_process(v: Any) -> LabProcess:
    """The platform's query process (``v.caches.lab_process``), made on first use."""
    if v.caches.lab_process is None:
        v.caches.lab_process = LabProcess(v.settings.lab_memory_mb)
    process: LabProcess = v.caches.lab_process
    return process


def stop_lab(v: Any) -> None:
    """Stop the query process if one was started (the app's end, the tests' platform's end)."""
    if v.caches.lab_process is not None:
        v.caches.lab_process.stop()


__all__ = ["REFUSALS", "LabLimit", "LabProcess", "Limits", "lab_process", "refusal", "stop_lab"]
