"""What a request must be before the app reads it: UTF-8 text, JSON not nested too deeply, no NUL in URLs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_URL
from tests.open311.helpers import CENTRE, POTHOLE
from tests.reports.helpers import jpeg_bytes, report_body
from vigie.reports.storage import ReportRow

DEEP = "[" * 1000 + "]" * 1000


def reports_in(vigie) -> int:  # type: ignore[no-untyped-def]
    with vigie.db.session() as s:
        return s.scalar(select(func.count()).select_from(ReportRow)) or 0


def problem(r, status: int) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return str(r.json()["detail"])


@pytest.mark.parametrize(
    "path",
    ["/api/v1/reports", "/api/v1/auth/login", "/api/v1/reports/1/follow", "/api/v1/reports/1/status"],
)
def test_inputs_deeply_nested_json_body_is_refused_with_400(client, vigie, path):
    body = json.dumps(report_body())[:-1] + ', "deep": ' + DEEP + "}"
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert "nested more than 32 levels" in problem(r, 400)
    # The connection is still usable and nothing was written.
    assert client.get("/health").status_code == 200
    assert reports_in(vigie) == 0


@pytest.mark.parametrize(
    ("header", "named"), [("content-type", "Content-Type"), ("content-length", "Content-Length")]
)
def test_inputs_second_content_header_is_refused_with_400(client, vigie, header, named):
    # A JSON body labelled twice (application/json, then text/plain) was checked as text/plain
    # and parsed as JSON: too deep, it reached the parser (a 500 and a dropped connection).
    body = (json.dumps(report_body())[:-1] + ', "deep": ' + DEEP + "}").encode()
    second = (header, "text/plain" if header == "content-type" else str(len(body)))
    r = client.post(
        "/api/v1/reports",
        content=body,
        headers=[("content-type", "application/json"), ("content-length", str(len(body))), second],
    )
    assert problem(r, 400) == f"more than one {named} header"
    assert client.get("/health").status_code == 200
    assert reports_in(vigie) == 0


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/reports/1/status", "/api/v1/auth/login"])
def test_inputs_lone_surrogate_escape_in_json_is_refused_with_400(client, vigie, path):
    # "\ud800" decoded to a str that no UTF-8 encoder takes: the 422 repeating it was a 500.
    body = json.dumps({**report_body(), "description": "a", "status": "b"})
    for value in ('"\\ud800"', '"x\\udfff"', '"\\ud83d y"'):
        sent = body.replace('"a"', value).replace('"b"', value)
        r = client.post(path, content=sent, headers={"content-type": "application/json"})
        assert "half a surrogate pair" in problem(r, 400)
    assert client.get("/health").status_code == 200
    assert reports_in(vigie) == 0


def test_inputs_lone_surrogate_in_multipart_attributes_is_refused(client, vigie):
    form = {k: str(v) for k, v in report_body().items() if k != "attributes"}
    r = client.post("/api/v1/reports", data={**form, "attributes": '{"danger_immediat": "\\ud800"}'})
    assert "half a surrogate pair" in problem(r, 422)
    assert r.json()["field"] == "attributes"
    assert reports_in(vigie) == 0


def test_inputs_surrogate_pair_escape_reaches_the_app_as_its_character(client):
    r = client.post(
        "/api/v1/reports",
        content=json.dumps({**report_body(), "description": "trou \U0001f600"}),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["description"] == "trou \U0001f600"


def test_inputs_json_at_the_depth_limit_reaches_the_app(client):
    body = {**report_body(), "attributes": {"danger_immediat": "non", "x": json.loads("[" * 30 + "]" * 30)}}
    r = client.post("/api/v1/reports", json=body)
    assert r.status_code == 422 and r.json()["field"].startswith("attributes.x")


def test_inputs_deeply_nested_multipart_attributes_are_refused(client, vigie):
    form = {k: str(v) for k, v in report_body().items() if k != "attributes"}
    r = client.post(
        "/api/v1/reports",
        data={**form, "attributes": DEEP},
        files={"photos": ("p.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert "nested more than 32 levels" in problem(r, 422)
    assert r.json()["field"] == "attributes"
    assert reports_in(vigie) == 0


FORM = b"service_code=nid-de-poule&lat=47.322&long=5.0415&attributes=%7B%22danger_immediat%22%3A%22non%22%7D"


def multipart(value: bytes) -> tuple[bytes, str]:
    boundary = "vigieboundary"
    parts = [
        (b"service_code", b"nid-de-poule"),
        (b"lat", b"47.322"),
        (b"long", b"5.0415"),
        (b"attributes", b'{"danger_immediat": "non"}'),
        (b"description", value),
    ]
    body = b"".join(
        b"--"
        + boundary.encode()
        + b'\r\nContent-Disposition: form-data; name="'
        + n
        + b'"\r\n\r\n'
        + v
        + b"\r\n"
        for n, v in parts
    )
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("body", "ctype", "says"),
    [
        (
            json.dumps(report_body(description="Trou XX")).encode().replace(b"XX", b"\xe9t\xe9"),
            "application/json",
            "request body is not valid UTF-8",
        ),
        (
            FORM + b"&description=Tr%E9ou",
            "application/x-www-form-urlencoded",
            "a form field is not valid UTF-8",
        ),
        (
            FORM + b"&description=Tr\xe9ou",
            "application/x-www-form-urlencoded",
            "a form field is not valid UTF-8",
        ),
        (*multipart(b"Tr\xe9ou profond"), "a form field is not valid UTF-8"),
    ],
)
def test_inputs_invalid_utf8_body_is_refused_not_transcoded(client, vigie, body, ctype, says):
    r = client.post("/api/v1/reports", content=body, headers={"content-type": ctype})
    assert problem(r, 400) == says
    assert reports_in(vigie) == 0


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (FORM + b"&description=Tr%C3%A9sor", "application/x-www-form-urlencoded"),
        (multipart("Trésor".encode()), None),
    ],
)
def test_inputs_utf8_body_is_read_as_sent(client, body, ctype):
    if ctype is None:
        body, ctype = body
    r = client.post("/api/v1/reports", content=body, headers={"content-type": ctype})
    assert r.status_code == 201, r.text
    assert r.json()["description"] == "Trésor"


def test_inputs_invalid_utf8_open311_form_is_refused_as_an_open311_error(client, vigie, api_key):
    body = (
        f"api_key={api_key}&service_code={POTHOLE}&lat={CENTRE['lat']}&long={CENTRE['long']}"
        "&attribute%5Bdanger_immediat%5D=non&description=Tr%E9ou"
    ).encode()
    r = client.post(
        "/open311/v2/requests.json",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    assert r.json() == [{"code": 400, "description": "a form field is not valid UTF-8"}]
    assert reports_in(vigie) == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/api/v1/reports?q=%E9t%E9", "the query string is not valid UTF-8"),
        (
            "/api/v1/reports?q=a%00b",
            "the query string contains a NUL character (%00), which text cannot hold",
        ),
        ("/api/v1/track/ab%E9", "the URL path is not valid UTF-8"),
        ("/suivi/a%00b", "the URL path contains a NUL character (%00), which text cannot hold"),
        (
            "/api/v1/addresses?q=rue+%00",
            "the query string contains a NUL character (%00), which text cannot hold",
        ),
    ],
)
def test_inputs_invalid_url_is_refused_with_400(client, url, says):
    assert problem(client.get(url), 400) == says


def test_inputs_encoded_url_in_utf8_is_read_as_sent(client):
    r = client.get("/api/v1/reports?q=%C3%A9t%C3%A9+chaud")
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL refuses NUL in text; SQLite stores it")
@pytest.mark.parametrize("field", ["address", "reporter_name", "reporter_phone", "device_id"])
def test_inputs_nul_in_a_text_field_on_postgresql_is_named_clearly(client, vigie, field):
    r = client.post("/api/v1/reports", json=report_body(**{field: "a\u0000b"}))
    assert problem(r, 422) == "the request contains a NUL character (U+0000), which text cannot hold"
    assert reports_in(vigie) == 0


HUGE = "9" * 5000  # past Python's limit on integer conversion (4,300 digits)


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/auth/login", "/api/v1/reports/1/status"])
def test_inputs_number_too_long_in_json_is_named_as_such(client, vigie, path):
    # Python's decoder refuses the integer with a ValueError: "not valid JSON" (reports) or
    # "There was an error parsing the body" (FastAPI's models) named the wrong cause.
    body = json.dumps({**report_body(), "status": "x"})[:-1] + ', "n": ' + HUGE + "}"
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert "number is too large" in problem(r, 400)
    # Digits inside a string are text: the body is read (and refused for what else it is).
    r = client.post(path, json={**report_body(), "description": HUGE})
    assert "number is too large" not in r.text
    assert reports_in(vigie) == 0


@pytest.mark.parametrize("number", [HUGE, "9" * 400, "1e400"])
def test_inputs_number_too_large_in_a_hand_read_body_is_named_as_such(client, number):
    # orjson (web.deps.json_object) reads a number past a double's range as "not JSON".
    body = '{"sql": "SELECT 1", "n": ' + number + "}"
    r = client.post("/api/v1/lab/query", content=body, headers={"content-type": "application/json"})
    assert "number" in problem(r, 400) and "too large" in r.json()["detail"], r.text


def test_inputs_number_too_long_in_multipart_attributes_is_named(client, vigie):
    form = {k: str(v) for k, v in report_body().items() if k != "attributes"}
    r = client.post("/api/v1/reports", data={**form, "attributes": '{"n": ' + HUGE + "}"})
    assert "number is too large" in problem(r, 422)
    assert r.json()["field"] == "attributes"
    assert reports_in(vigie) == 0
