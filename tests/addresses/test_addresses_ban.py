"""The ``ban`` geocoder against a real addok (PyPI addok + addok-france + addok-fr).

The test starts addok on Redis database 1, loads it with the same file as the
built-in gazetteer (the Dijon shops' addresses and tram stops, exported as
addok documents) and asks the same questions through Vigie's API. addok is
installed in its own virtualenv by ``make addok`` (``.venv-addok``; its
dependencies do not mix with Vigie's), or found at ``VIGIE_TEST_ADDOK``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from vigie.addresses.addok import write_addok
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.runtime import Vigie
from vigie.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ADDOK = Path(os.environ.get("VIGIE_TEST_ADDOK", ROOT / ".venv-addok" / "bin" / "addok"))
CONF = Path(__file__).parent / "addok" / "addok.conf"
REDIS = os.environ.get("VIGIE_TEST_ADDOK_REDIS", "127.0.0.1:6379")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def addok_url(dijon_gazetteer: Vigie, tmp_path: Path) -> Iterator[str]:
    if not ADDOK.is_file():
        message = f"addok is not installed at {ADDOK} (run `make addok`, or set VIGIE_TEST_ADDOK)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    docs = tmp_path / "addok.ndjson"
    with docs.open("w", encoding="utf-8") as out:
        assert write_addok(dijon_gazetteer.db, out) > 300
    host, port = REDIS.split(":")
    env = {**os.environ, "ADDOK_CONFIG_MODULE": str(CONF), "REDIS_HOST": host, "REDIS_PORT": port}
    env["ADDOK_LOG_DIR"] = str(tmp_path)
    for args in (["reset", "--force"], ["batch", str(docs)]):
        done = subprocess.run([str(ADDOK), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    http_port = _free_port()
    server = subprocess.Popen(
        [str(ADDOK), "serve", "--host", "127.0.0.1", "--port", str(http_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/search/", params={"q": "dijon"}, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, "addok serve stopped"
            assert time.monotonic() < deadline, "addok serve did not answer in 30 s"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def ban_client(vigie_settings: Settings, addok_url: str) -> Iterator[TestClient]:
    settings = vigie_settings.model_copy(update={"geocoder": "ban", "geocoder_url": addok_url})
    v = build_vigie(settings)
    try:
        with TestClient(create_app(vigie=v)) as c:
            yield c
    finally:
        v.db.dispose()


CENTRE = {"lat": 47.3220, "lon": 5.0415}


def test_addresses_ban_search_answers_like_the_builtin(client: TestClient, ban_client: TestClient) -> None:
    for q in ("12 rue de la liberte", "36 rue berbisey", "avenue marechal foch", "foch gare"):
        built = client.get("/api/v1/addresses/search", params={"q": q, **CENTRE}).json()["features"][0]
        ban = ban_client.get("/api/v1/addresses/search", params={"q": q, **CENTRE}).json()["features"][0]
        for key in ("label", "type", "id", "postcode", "citycode", "city"):
            assert ban["properties"].get(key) == built["properties"].get(key), (q, key)
        assert ban["geometry"]["coordinates"] == pytest.approx(built["geometry"]["coordinates"], abs=1e-6)


def test_addresses_ban_reverse_address_then_zone(ban_client: TestClient) -> None:
    # 6 m from 61 Rue des Godrans.
    body = ban_client.get("/api/v1/addresses/reverse", params={"lat": 47.3225, "lon": 5.0385}).json()
    props = body["features"][0]["properties"]
    assert (props["kind"], props["label"]) == ("address", "61 Rue des Godrans 21000 Dijon")
    assert props["distance"] <= 50
    # Hauteville-lès-Dijon has no address in this gazetteer: the zone.
    body = ban_client.get("/api/v1/addresses/reverse", params={"lat": 47.3660, "lon": 5.0280}).json()
    props = body["features"][0]["properties"]
    assert (props["kind"], props["citycode"], props["city"]) == ("zone", "21003", "Ahuy")


def test_addresses_ban_unreachable_is_503(vigie_settings: Settings) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    settings = vigie_settings.model_copy(update={"geocoder": "ban", "geocoder_url": url})
    v = build_vigie(settings)
    try:
        with TestClient(create_app(vigie=v)) as c:
            r = c.get("/api/v1/addresses/search", params={"q": "rue de la liberte"})
    finally:
        v.db.dispose()
    assert r.status_code == 503
    assert r.json()["title"] == "Geocoder unavailable"
