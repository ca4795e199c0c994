"""Shared pieces of the benchmarks: servers, ports, wrk, percentiles, RSS, databases.

Every benchmark talks only to 127.0.0.1, is bounded in time, and prints its
figures with ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = ROOT / ".venv" / "bin"
PYTHON = BIN / "python"
VIGIE = BIN / "vigie"

# The PostgreSQL server used for --backend postgres. Only databases whose name
# starts with "vigie_bench" are ever created or dropped.
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_PREFIX = "vigie_bench"


# --- small helpers -----------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of unsorted values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def ratio(a: float, b: float) -> str:
    if not b or b != b or a != a:
        return "n/a"
    return f"{a / b:.2f}x"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def reproduce(script: str, argv: Sequence[str] | None = None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join([".venv/bin/python", f"bench/{script}", *map(shlex.quote, args)])


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def banner(title: str) -> None:
    m = machine_info()
    print(f"\n=== {title} ===", flush=True)
    print(
        f"machine: {m['cpu']}, {m['memory']}, Python {m['python']}, SQLite {m['sqlite']}; "
        f"{m['date']}; load average now {loadavg()} (other processes share these cores)"
    )


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB (MiB), from /proc/PID/status."""
    rss = hwm = float("nan")
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, hwm


def rss_parts(pid: int) -> dict[str, float]:
    """RssAnon / RssFile / RssShmem of a process in MiB (/proc/PID/status).

    VmRSS = anon + file + shmem. File-backed pages include an mmap'ed SQLite file
    (PRAGMA mmap_size): they are the kernel's page cache, shared and reclaimable,
    but they count in VmRSS/VmHWM.
    """
    out = {"anon": float("nan"), "file": float("nan"), "shmem": float("nan")}
    keys = {"RssAnon:": "anon", "RssFile:": "file", "RssShmem:": "shmem"}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k = line.split(":", 1)[0] + ":"
            if k in keys:
                out[keys[k]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (a server and its workers), to add up their CPU."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/PID/stat.

    CPU time per request is far less sensitive than throughput to other
    processes sharing the cores, so every HTTP benchmark prints it too.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds in a thread; keeps the maximum."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.max_rss = 0.0
        self.max_anon = 0.0
        self.max_file = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, _ = rss_mb(self.pid)
            if rss == rss:
                self.max_rss = max(self.max_rss, rss)
                parts = rss_parts(self.pid)
                if parts["anon"] == parts["anon"]:
                    self.max_anon = max(self.max_anon, parts["anon"])
                    self.max_file = max(self.max_file, parts["file"])
                self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine_info() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": f"{cpu} × {os.cpu_count()}",
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": loadavg(),
    }


def save_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    data = {"machine": machine_info(), "command": reproduce(f"{name.split('-')[0]}.py"), **data}
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return path


# --- databases -----------------------------------------------------------------


def pg_url(dbname: str) -> str:
    return f"{PG_BASE}/{dbname}"


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    dsn = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    return psycopg.connect(dsn, autocommit=True)


def _pg_connect():  # type: ignore[no-untyped-def]
    try:
        return _pg_admin()
    except Exception as exc:
        raise SystemExit(f"PostgreSQL unreachable at {PG_BASE} ({exc}); set BENCH_PG_URL") from None


def _check_pg_name(dbname: str) -> None:
    # vigie_bench*, or an engineer's own bench_<name> database.
    if not dbname.startswith((PG_PREFIX, "bench_")) or not dbname.replace("_", "").isalnum():
        raise SystemExit(f"refusing to touch database '{dbname}' (not a {PG_PREFIX}* name)")


def pg_recreate(dbname: str) -> str:
    """Drop and create a bench database; returns its SQLAlchemy URL."""
    _check_pg_name(dbname)
    conn = _pg_connect()
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    return pg_url(dbname)


def pg_exists(dbname: str) -> bool:
    _check_pg_name(dbname)
    conn = _pg_connect()
    with conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
    return row is not None


def pg_version() -> str:
    try:
        with _pg_admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception:
        return "unreachable"


def fresh_database(backend: str, name: str) -> tuple[str, Path]:
    """A new, migrated database for one benchmark. Returns (url, data_dir)."""
    from vigie.migrate import upgrade

    data_dir = RESULTS / "run" / f"{name}-{backend}"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if backend == "sqlite":
        url = f"sqlite:///{(data_dir / 'vigie.db').as_posix()}"
    else:
        url = pg_recreate(f"{PG_PREFIX}_{name}")
    upgrade(url)
    return url, data_dir


def count_rows(url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def add_backend_arg(parser: Any) -> None:
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")


# --- servers -------------------------------------------------------------------


def vigie_env(url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "VIGIE_DATABASE_URL": url,
            "VIGIE_DATA_DIR": str(data_dir),
            "VIGIE_PORT": str(port),
            "VIGIE_HOST": "127.0.0.1",
            "VIGIE_ENVIRONMENT": "development",
            "VIGIE_LOG_LEVEL": "warning",
            "VIGIE_WORKERS": "1",
            "VIGIE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    env.update(extra)
    return env


def create_api_key(env: dict[str, str]) -> str:
    """`vigie apikey create --name bench` against the bench database; the key is the last line."""
    out = subprocess.run(
        [str(VIGIE), "apikey", "create", "--name", "bench"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"vigie apikey create failed:\n{out.stderr}")
    return out.stdout.strip().splitlines()[-1].strip()


class Server:
    """A server subprocess, ready once GET `health` answers 200; stopped with SIGINT."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        port: int,
        env: dict[str, str] | None = None,
        health: str = "/health",
        start_timeout: float = 90.0,
    ) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.port = port
        self.env = env
        self.health = health
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log_path = RESULTS / "run" / f"server-{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> Server:
        log(f"starting {self.name}: {' '.join(self.cmd)} (port {self.port})")
        logf = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited at start-up; log:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + self.health, timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{self.name} was not ready after {self.start_timeout}s; log:\n{self.tail()}")

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                log(f"{self.name} still running after {sig.name}")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def vigie_server(name: str, url: str, data_dir: Path, port: int | None = None, **extra: str) -> Server:
    port = port or free_port()
    return Server(name, [str(VIGIE), "serve"], port, vigie_env(url, data_dir, port, **extra))


def baseline_server(name: str, url: str, port: int | None = None) -> Server:
    port = port or free_port()
    cmd = [str(PYTHON), str(BENCH / "baseline_app.py"), "serve", "--url", url, "--port", str(port)]
    return Server(name, cmd, port, dict(os.environ), health="/health")


# --- wrk -------------------------------------------------------------------------

# Appended to every wrk script: per-thread status counts and a JSON summary.
WRK_REPORT = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local codes = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do codes[tostring(k)] = (codes[tostring(k)] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(codes) do table.insert(parts, string.format('"%s":%d', k, v)) end
  io.write("WRK_JSON ")
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
"""

WRK_SEED = r"""
local seeded = false
local function seed()
  if not seeded then
    math.randomseed(os.time() + (tid or 0) * 7919 + math.floor(os.clock() * 1000000))
    seeded = true
  end
end
"""


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk is required for this benchmark but was not found on PATH.\n"
            "Install it with:  apt-get update && apt-get install -y wrk\n"
            "(see docs/benchmarks.md, Prerequisites)"
        )
    return path


def run_wrk(
    url: str,
    lua_body: str,
    *,
    connections: int,
    duration: float,
    threads: int = 1,
    timeout: float = 10.0,
    name: str = "wrk",
) -> dict[str, Any]:
    """Run wrk with a script (its `request` function plus the JSON reporter)."""
    wrk = require_wrk()
    script = RESULTS / "run" / f"{name}.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(WRK_SEED + lua_body + WRK_REPORT, encoding="utf-8")
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        f"{int(timeout)}s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=duration + 120)
    for line in out.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            data: dict[str, Any] = json.loads(line[len("WRK_JSON ") :])
            data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
            data["non_2xx"] = sum(v for k, v in data["statuses"].items() if not k.startswith("2"))
            socket_errors = sum(data["errors"][k] for k in ("connect", "read", "write", "timeout"))
            data["socket_errors"] = socket_errors
            return data
    raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")


def lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII text


def http_get_json(url: str, timeout: float = 30.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310
        return json.loads(r.read())


def required_attributes(base: str, service: str = "nid-de-poule") -> list[tuple[str, str]]:
    """A valid value for each required attribute of the service (the catalogue may change)."""
    with urllib.request.urlopen(f"{base}/open311/v2/services/{service}.json") as r:  # noqa: S310
        definition = json.loads(r.read())
    out: list[tuple[str, str]] = []
    for a in definition.get("attributes", []):
        if not a.get("required"):
            continue
        keys = [v["key"] for v in a.get("values") or []]
        if a["datatype"] in ("singlevaluelist", "multivaluelist"):
            value = next((k for k in keys if k in ("non", "no", "false")), keys[0])
        elif a["datatype"] == "number":
            value = "1"
        elif a["datatype"] == "datetime":
            value = "2026-01-01T10:00:00+01:00"
        else:
            value = "bench"
        name = f"attribute[{a['code']}]" + ("[]" if a["datatype"] == "multivaluelist" else "")
        out.append((name, value))
    return out
