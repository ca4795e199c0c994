"""Two nodes behind Debian's nginx, sharing PostgreSQL, Mosquitto and an S3 object store (issue 20).

Each node is a `vigie serve` process group with two workers and its own data
directory; nothing but PostgreSQL, the broker and the object store is shared. A
report made on node A reaches an operator's live stream open on node B; its photo,
uploaded on A, is served by B; the four workers share the telemetry ingest (four
partitions). Then node A is killed (`kill -9` of its whole process group) during a
write load through nginx while devices publish: every report acknowledged to a
client is in the database, node B's workers take A's partitions over and every
message published after the kill is stored; a live stream opened again through
nginx reaches B and goes on.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL
from tests.reports.helpers import jpeg_bytes, report_body
from tests.s3server import ACCESS_KEY, SECRET_KEY, running_s3_server
from tests.telemetry.devices import Publisher, holder_pid, holders
from tests.telemetry.devices import stored as samples_stored
from tests.telemetry.helpers import Broker, add_asset, wait_until
from tests.web.live import free_port
from vigie.runtime import Vigie

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="nodes share PostgreSQL"),
    pytest.mark.skipif(shutil.which("nginx") is None, reason="Debian's nginx is not installed"),
]

SECRET = "two-nodes-shared-secret-key"  # noqa: S105 - the test's own


CABINETS = [f"CAB-{n:04d}" for n in range(1, 17)]


def _node(
    url: str, data_dir: Path, port: int, s3: dict[str, str], public: str, mqtt: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VIGIE_DATABASE_URL": url,
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_PORT": str(port),
        "VIGIE_WORKERS": "2",
        "VIGIE_ENVIRONMENT": "test",
        "VIGIE_SECRET_KEY": SECRET,
        "VIGIE_LOG_LEVEL": "warning",
        "VIGIE_PUBLIC_BASE_URL": public,
        "VIGIE_TRUSTED_PROXIES": "127.0.0.1",
        "VIGIE_ANONYMOUS_RATE_LIMIT": "0",
        "VIGIE_MQTT_URL": mqtt,
        "VIGIE_TELEMETRY_PARTITIONS": "4",  # one per worker
        **s3,
    }
    # A session of its own: the node is its whole process group (the server and its workers).
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "vigie.cli", "serve"], env=env, start_new_session=True
    )


def _wait_ready(base: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{base} exited with {proc.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base} did not become ready")


def _nginx(tmp: Path, port: int, upstreams: list[int]) -> subprocess.Popen[bytes]:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstreams)
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes 1;
{"user root;" if os.geteuid() == 0 else ""}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 60m;
    upstream vigie {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://vigie;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Request-ID $request_id;
            proxy_connect_timeout 2s;
        }}
        location /api/v1/events/ {{
            proxy_pass http://vigie;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)])  # noqa: S603, S607
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"nginx did not start: {(tmp / 'error.log').read_text()}")


class Stream:
    """An agent's live stream read in a thread; the report ids of the events seen."""

    def __init__(self, url: str, token: str) -> None:
        self.report_ids: set[str] = set()
        self.opened = threading.Event()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, token), daemon=True)
        self._thread.start()
        assert self.opened.wait(60), f"stream {url} did not open"

    def _read(self, url: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=120)) as answer:
                for line in answer.iter_lines():
                    self.opened.set()
                    if line.startswith("data:"):
                        # Each event's data is the report as an agent sees it.
                        self.report_ids.add(str(json.loads(line[5:]).get("id")))
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.closed.set()

    def wait_for(self, report_id: int | str, seconds: float = 30) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if str(report_id) in self.report_ids:
                return True
            time.sleep(0.1)
        return False


@pytest.fixture
def s3() -> Iterator[dict[str, str]]:
    with running_s3_server() as endpoint:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        ).create_bucket(Bucket="vigie-two-nodes")
        yield {
            "VIGIE_PHOTO_STORAGE": "s3",
            "VIGIE_S3_BUCKET": "vigie-two-nodes",
            "VIGIE_S3_ENDPOINT_URL": endpoint,
            "VIGIE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "VIGIE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }


def _report(base: str, key: str | None = None, photo: bool = False) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    if photo:
        form = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in report_body().items()}
        files = {"photos": ("p.jpg", jpeg_bytes(), "image/jpeg")}
        return httpx.post(f"{base}/api/v1/reports", data=form, files=files, headers=headers, timeout=30)
    return httpx.post(f"{base}/api/v1/reports", json=report_body(), headers=headers, timeout=30)


def _workers(node: subprocess.Popen[bytes]) -> set[int]:
    """The node's processes: the server and its workers."""
    children = Path(f"/proc/{node.pid}/task/{node.pid}/children").read_text().split()
    return {node.pid, *(int(c) for c in children)}


def test_two_nodes_share_reports_photos_and_survive_a_node_killed(
    database_url: str, tmp_path: Path, s3: dict[str, str], agent_token: Callable[..., str], vigie: Vigie
) -> None:
    token = agent_token("operator")
    for cabinet in CABINETS:
        add_asset(vigie, cabinet, "cabinet")
    broker = Broker(tmp_path / "mosquitto").start()
    port_a, port_b, port_lb = free_port(), free_port(), free_port()
    a, b, lb = (f"http://127.0.0.1:{p}" for p in (port_a, port_b, port_lb))
    node_a = _node(database_url, tmp_path / "a", port_a, s3, lb, broker.url)
    node_b = _node(database_url, tmp_path / "b", port_b, s3, lb, broker.url)
    (tmp_path / "nginx").mkdir()
    nginx = None
    devices = Publisher(broker.port, CABINETS, rounds=100_000)
    try:
        _wait_ready(a, node_a)
        _wait_ready(b, node_b)
        nginx = _nginx(tmp_path / "nginx", port_lb, [port_a, port_b])

        # A report made on A appears live in an operator's stream open on B.
        on_b = Stream(f"{b}/api/v1/events/agent", token)
        made = _report(a, photo=True)
        assert made.status_code == 201, made.text
        report_id = int(made.json()["id"])
        assert on_b.wait_for(report_id), "the report made on A never reached the stream on B"

        # Its photo, uploaded on A, is served by B (from the shared object store).
        photo_path = httpx.URL(made.json()["photos"][0]["url"]).path
        served = httpx.get(b + photo_path, timeout=30)
        assert served.status_code == 200 and served.content[:2] == b"\xff\xd8"
        assert not (tmp_path / "a" / "photos").exists()

        # The four workers share the ingest: each holds one partition, both nodes ingest.
        wait_until(lambda: len(set(holders(vigie).values())) == 4, timeout=60, every=0.3)
        wait_until(lambda: devices.probe(vigie), timeout=60, every=1.0)
        a_workers = _workers(node_a)
        assert len({holder_pid(n) for n in holders(vigie).values()} & a_workers) == 2, holders(vigie)

        # A write load through nginx; node A is killed in the middle of it.
        acknowledged: list[int] = []
        answers: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()

        def submit(n: int) -> None:
            while not stop.is_set():
                try:
                    answer = _report(lb, key=f"load-{n}-{time.monotonic_ns()}")
                except httpx.HTTPError:
                    continue
                with lock:
                    answers.append(answer.status_code)
                    if answer.status_code == 201:
                        acknowledged.append(int(answer.json()["id"]))

        devices.start(every=0.1)
        with ThreadPoolExecutor(6) as pool:
            for n in range(6):
                pool.submit(submit, n)
            time.sleep(4)
            before_kill = len(acknowledged)
            os.killpg(node_a.pid, signal.SIGKILL)
            node_a.wait(timeout=30)
            killed_at = devices.k + 2  # every device message from this round on came after the kill
            time.sleep(6)
            stop.set()
        after_kill = len(acknowledged) - before_kill

        assert before_kill > 0 and after_kill > 0, (before_kill, after_kill, answers[-20:])
        engine = create_engine(database_url)
        with engine.connect() as conn:
            stored = {r[0] for r in conn.execute(text("SELECT id FROM reports"))}
        engine.dispose()
        lost = sorted(set(acknowledged) - stored)
        assert lost == [], f"{len(lost)} acknowledged reports lost"

        # A live stream opened again through nginx reaches B, and events flow (the one
        # opened before the kill was closed if nginx had sent it to A).
        again = Stream(f"{lb}/api/v1/events/agent", token)
        later = _report(lb)
        assert later.status_code == 201, later.text
        assert again.wait_for(int(later.json()["id"]))

        # Node B's workers took node A's partitions: every message published after the
        # kill is stored (the partitions' sessions kept them meanwhile).
        wait_until(lambda: len(holders(vigie)) == 4 and len(set(holders(vigie).values())) == 2, timeout=30)
        assert not {holder_pid(n) for n in holders(vigie).values()} & a_workers
        last = devices.k
        devices.close()
        wanted = {(c, k) for c in CABINETS for k in range(killed_at, last + 1)}
        assert last > killed_at
        wait_until(lambda: wanted <= samples_stored(vigie), timeout=60, every=0.5)
    finally:
        devices.close()
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for proc in (node_a, node_b):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        broker.stop()
