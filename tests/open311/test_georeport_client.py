"""The real PyPI client `georeport` against a live uvicorn server, in JSON and XML."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import uvicorn
from fastapi import FastAPI
from georeport import GeoReport

from vigie.runtime import Vigie

from .helpers import CENTRE, POTHOLE, required_attributes


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _as_list(value: Any) -> list[Any]:
    """xmltodict gives a dict for a single repeated element, a list for several."""
    return value if isinstance(value, list) else [value]


def _post(base: str, api_key: str, vigie: Vigie, **fields: Any) -> str:
    data = {"api_key": api_key, "service_code": POTHOLE, **CENTRE, **fields}
    data.update(required_attributes(vigie, POTHOLE))
    r = requests.post(f"{base}/open311/v2/requests.json", data=data, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()[0]["service_request_id"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_and_requests(
    live_server: str, api_key: str, vigie: Vigie, fmt: str
) -> None:
    first = _post(live_server, api_key, vigie, description="Premier trou")
    second = _post(live_server, api_key, vigie, description="Second trou")
    client = GeoReport(
        f"{live_server}/open311/v2",
        jurisdiction="dijon-metropole.fr",
        output_format=fmt,
    )

    services = _as_list(client.get_service_list())
    assert POTHOLE in [s["service_code"] for s in services]

    definition = client.get_service_definition(POTHOLE)
    assert definition["service_code"] == POTHOLE
    assert definition["attributes"]

    found = _as_list(client.get_service_requests(status="open", service_code=POTHOLE))
    assert {r["service_request_id"] for r in found} == {first, second}
    assert all(r["status"] == "open" for r in found)

    one = client.get_service_request(first)
    assert one["service_request_id"] == first
    assert one["description"] == "Premier trou"
    assert one["service_code"] == POTHOLE

    (item,) = _as_list(client.get_service_requests(service_request_id=second))
    assert item["service_request_id"] == second


def test_georeport_client_sees_http_errors(live_server: str) -> None:
    client = GeoReport(f"{live_server}/open311/v2", jurisdiction="paris.fr")
    with pytest.raises(requests.HTTPError) as info:
        client.get_service_list()
    assert info.value.response.status_code == 404
    assert info.value.response.json()[0]["code"] == 404
