"""The S3 photo store against a real S3 API server (moto's, in its own process)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import settings_for
from tests.s3server import ACCESS_KEY, SECRET_KEY, running_s3_server
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.errors import NotFound, ServiceUnavailable, ValidationFailed
from vigie.objectstore import S3Location
from vigie.photos.s3 import S3PhotoStore
from vigie.photos.storage import make_photo_store
from vigie.settings import Settings

KEY = "abcdef0123456789"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with running_s3_server() as url:
        yield url


@pytest.fixture
def location(endpoint: str) -> S3Location:
    bucket = f"vigie-{secrets.token_hex(4)}"
    loc = S3Location(bucket, endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY, prefix="city-a/photos/")
    loc.client().create_bucket(Bucket=bucket)
    return loc


@pytest.fixture
def store(location: S3Location) -> S3PhotoStore:
    return S3PhotoStore(location)


def test_s3_store_round_trip_under_its_prefix(store: S3PhotoStore, location: S3Location) -> None:
    store.put(KEY, b"\xff\xd8photo", "image/jpeg")

    assert store.exists(KEY)
    assert store.get(KEY) == b"\xff\xd8photo"
    listed = location.client().list_objects_v2(Bucket=location.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"city-a/photos/{KEY}"]


def test_s3_store_missing_key_is_not_found(store: S3PhotoStore) -> None:
    assert not store.exists(KEY)
    with pytest.raises(NotFound):
        store.get(KEY)
    store.delete(KEY)  # deleting a missing key is not an error


def test_s3_store_replace_then_delete(store: S3PhotoStore) -> None:
    store.put(KEY, b"first", "image/jpeg")
    store.put(KEY, b"second", "image/webp")
    assert store.get(KEY) == b"second"
    store.delete(KEY)
    assert not store.exists(KEY)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab/cdefghij", "short", "abcdefgh.jpg"])
def test_s3_store_refuses_keys_outside_its_prefix(store: S3PhotoStore, bad: str) -> None:
    with pytest.raises(ValidationFailed):
        store.put(bad, b"x", "image/jpeg")
    with pytest.raises(ValidationFailed):
        store.get(bad)


def test_s3_store_unreachable_server_is_a_503_error() -> None:
    from tests.s3server import free_port

    loc = S3Location("nowhere", f"http://127.0.0.1:{free_port()}", "us-east-1", "a", "b")
    store = S3PhotoStore(loc)
    with pytest.raises(ServiceUnavailable) as caught:
        store.get(KEY)
    assert caught.value.status == 503
    with pytest.raises(ServiceUnavailable):
        store.check()


def test_s3_store_signed_url_serves_the_bytes_without_credentials(store: S3PhotoStore) -> None:
    store.put(KEY, b"\xff\xd8signed", "image/jpeg")

    url = store.signed_url(KEY, 60)

    answer = httpx.get(url)
    assert answer.status_code == 200
    assert answer.content == b"\xff\xd8signed"
    assert "Signature" in url or "X-Amz-Signature" in url


def test_make_photo_store_s3_needs_a_bucket(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="VIGIE_S3_BUCKET"):
        make_photo_store("s3", tmp_path, S3Location(""))


def test_settings_refuse_s3_without_bucket_and_signed_without_s3(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="VIGIE_S3_BUCKET"):
        Settings(environment="test", data_dir=tmp_path, photo_storage="s3")
    with pytest.raises(ValueError, match="VIGIE_PHOTO_STORAGE=s3"):
        Settings(environment="test", data_dir=tmp_path, photo_urls="signed")


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("urls", ["proxy", "signed"])
def test_report_photo_goes_to_the_object_store_and_back(
    tmp_path: Path, database_url: str, location: S3Location, urls: str
) -> None:
    settings = settings_for(tmp_path / "data", database_url).model_copy(
        update={
            "photo_storage": "s3",
            "photo_urls": urls,
            "s3_bucket": location.bucket,
            "s3_endpoint_url": location.endpoint_url,
            "s3_access_key_id": ACCESS_KEY,
            "s3_secret_access_key": SECRET_KEY,
        }
    )
    v = build_vigie(settings)
    try:
        with TestClient(create_app(vigie=v)) as client:
            made = client.post(
                "/api/v1/reports",
                data={
                    "service_code": "nid-de-poule",
                    "attributes": '{"danger_immediat": "non"}',
                    "lat": "47.3220",
                    "long": "5.0415",
                    "description": "Nid-de-poule devant l'école",
                },
                files={"photos": ("p.jpg", _jpeg(), "image/jpeg")},
            )
            assert made.status_code in (200, 201), made.text
            photo_url = made.json()["photos"][0]["url"]
            path = httpx.URL(photo_url).path

            # Nothing on this machine's disk: the photo is in the bucket.
            assert not (tmp_path / "data" / "photos").exists()
            objects = location.client().list_objects_v2(Bucket=location.bucket)["Contents"]
            assert any(o["Key"].startswith("vigie/photos/") for o in objects)

            answer = client.get(path, follow_redirects=False)
            if urls == "proxy":
                assert answer.status_code == 200
                body = answer.content
            else:
                assert answer.status_code == 307
                assert answer.headers["location"].startswith(location.endpoint_url)
                body = httpx.get(answer.headers["location"]).content
            assert body[:2] == b"\xff\xd8"
    finally:
        v.db.dispose()
