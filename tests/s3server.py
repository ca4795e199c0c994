"""A real S3 API server for the tests: moto's standalone server, in its own process.

The object-store code talks to it over HTTP with a real boto3 client, as it would to
MinIO or AWS; nothing in the client is patched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ACCESS_KEY = "vigie-test"
SECRET_KEY = "vigie-test-secret"  # noqa: S105 - a throwaway server's


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_s3_server() -> Iterator[str]:
    """Start ``moto_server`` on a free port; yield its endpoint URL; stop it."""
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own test server
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)
