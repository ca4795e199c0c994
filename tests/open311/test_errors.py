"""Every Open311 failure is a spec error list, never a 500 or a problem+json body."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vigie.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    VigieError,
)
from vigie.open311 import web
from vigie.open311.render import describe, open311_status
from vigie.settings import Settings

from .helpers import CENTRE, FORMATS, POTHOLE, V2, spec_error, xml_root


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (NotFound("x"), 404),
        (Forbidden("x"), 403),
        (Unauthorized("x"), 403),
        (PayloadTooLarge("x"), 413),
        (TooManyRequests("x"), 429),
        (ValidationFailed("x"), 400),
        (Conflict("x"), 400),
        (VigieError("x"), 400),
    ],
)
def test_errors_status_mapping(exc: VigieError, status: int) -> None:
    assert open311_status(exc) == status


def test_errors_description_names_the_field() -> None:
    assert describe(ValidationFailed("outside", field="lat")) == "lat: outside"
    assert describe(ValidationFailed("lat: already", field="lat")) == "lat: already"
    assert describe(VigieError("plain")) == "plain"


@pytest.mark.parametrize("fmt", FORMATS)
def test_errors_unexpected_failure_is_a_spec_400(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(web, "list_reports", boom)  # XML and extensions=true
    monkeypatch.setattr(web, "request_items", boom)  # JSON pages written by the database
    r = client.get(f"{V2}/requests.{fmt}")
    assert r.status_code == 400
    code, description = spec_error(r)
    assert "general service error" in description
    assert "exploded" not in r.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_errors_wrong_method_is_a_spec_error(client: TestClient, fmt: str) -> None:
    r = client.delete(f"{V2}/services.{fmt}")
    assert r.status_code == 405
    spec_error(r)


def test_errors_uploaded_file_is_400(client: TestClient, api_key: str) -> None:
    r = client.post(
        f"{V2}/requests.xml",
        data={"api_key": api_key, "service_code": POTHOLE, **CENTRE},
        files={"media": ("trou.jpg", b"\xff\xd8\xff", "image/jpeg")},
    )
    assert r.status_code == 400
    assert spec_error(r)[1].startswith("media: ")


@pytest.fixture
def small_bodies(vigie_settings: Settings) -> Iterator[None]:
    vigie_settings.max_body_bytes = 2000
    yield


def test_errors_oversize_streamed_body_is_413(small_bodies: None, client: TestClient, api_key: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield f"api_key={api_key}&description=".encode()
        for _ in range(10):
            yield b"x" * 500

    r = client.post(
        f"{V2}/requests.json",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert spec_error(r)[0] == 413


def test_errors_control_characters_keep_xml_well_formed(client: TestClient, post: Callable[..., Any]) -> None:
    rid = post(service_code=POTHOLE, **CENTRE, description="trou\x0bvertical\x1f ici").json()[0][
        "service_request_id"
    ]
    root = xml_root(client.get(f"{V2}/requests/{rid}.xml"))
    assert root.findtext("request/description") == "trouvertical ici"
    assert client.get(f"{V2}/requests/{rid}.json").json()[0]["description"] == ("trou\x0bvertical\x1f ici")
