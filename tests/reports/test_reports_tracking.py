"""What a tracking token shows: a non-public report is shown in full to its own reporter only.

A public report may be merged into a non-public one (a sensitive service): its reporter
and followers then see the kept report's reference, status and dates, never its
description, place or photos, on the tracking API, its live stream and the photo URLs.
"""

from __future__ import annotations

import json
import threading
import time

from fastapi.testclient import TestClient

from tests.reports.helpers import DIJON, jpeg_bytes, report_body

SECRET = "Seringues derrière la porte du 12 rue Secrète"
PRIVATE = {
    "service_code": "seringues",
    "description": SECRET,
    "lat": DIJON["lat"] + 0.0001,
    "long": DIJON["long"],
    "address": "12 rue Secrète",
    "attributes": {"lieu": "rue"},
}
LEAKS = (SECRET, "rue Secrète", "seringues", str(PRIVATE["lat"]))


def submit(client: TestClient, body: dict, photo: bool = False) -> dict:  # type: ignore[type-arg]
    if photo:
        form = {k: (json.dumps(v) if k == "attributes" else str(v)) for k, v in body.items()}
        r = client.post("/api/v1/reports", data=form, files={"photos": ("p.jpg", jpeg_bytes(), "image/jpeg")})
    else:
        r = client.post("/api/v1/reports", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def merged_into_private(client: TestClient, auth) -> tuple[dict, dict, str]:  # type: ignore[no-untyped-def,type-arg]
    public = submit(client, report_body())
    private = submit(client, PRIVATE, photo=True)
    follower = client.post(f"/api/v1/reports/{public['id']}/follow", json={}).json()["token"]
    r = client.post(
        f"/api/v1/reports/{public['id']}/merge",
        json={"keep_id": int(private["id"])},
        headers=auth("operator"),
    )
    assert r.status_code == 200, r.text
    return public, private, follower


def assert_no_leak(text: str) -> None:
    for secret in LEAKS:
        assert secret not in text, secret


def test_tracking_merged_into_a_private_report_hides_the_kept_report(client, auth):
    public, private, follower = merged_into_private(client, auth)
    for token in (public["token"], follower):
        r = client.get(f"/api/v1/track/{token}")
        assert r.status_code == 200
        assert_no_leak(r.text)
        kept = r.json()["kept_report"] if token == public["token"] else r.json()
        assert kept["reference"] == private["reference"] and kept["status"] == "new"
        assert kept["restricted"] is True
        assert "description" not in kept and "photos" not in kept
        page = client.get(f"/suivi/{token}")
        assert page.status_code == 200 and private["reference"] in page.text
        assert_no_leak(page.text)
    # The resident's own report keeps showing in full.
    assert client.get(f"/api/v1/track/{public['token']}").json()["description"] == public["description"]


def test_tracking_private_report_is_shown_in_full_to_its_own_reporter(client, auth):
    _, private, _ = merged_into_private(client, auth)
    r = client.get(f"/api/v1/track/{private['token']}")
    assert r.status_code == 200
    assert r.json()["description"] == SECRET and "restricted" not in r.json()
    # …without photo links: they are for agents only.
    assert r.json()["photos"] == []


def test_tracking_photos_of_a_private_report_need_an_agent(client, auth):
    public = submit(client, report_body(), photo=True)
    _, private, _ = merged_into_private(client, auth)
    (photo,) = client.get(f"/api/v1/reports/{private['id']}", headers=auth("operator")).json()["photos"]
    for url in (photo["url"], photo["thumbnail_url"]):
        path = url.removeprefix("http://testserver")
        anonymous = client.get(path)
        assert anonymous.status_code == 401, anonymous.text
        r = client.get(path, headers=auth("operator"))
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert "public" not in r.headers["cache-control"]
    (public_photo,) = public["photos"]
    r = client.get(public_photo["url"].removeprefix("http://testserver"))
    assert r.status_code == 200 and "public" in r.headers["cache-control"]


def test_tracking_stream_of_a_merged_report_hides_the_private_kept_report(client, auth, vigie):
    public, private, follower = merged_into_private(client, auth)
    frames: dict[str, list[str]] = {public["token"]: [], follower: []}

    def listen(token: str) -> None:
        with client.stream("GET", f"/api/v1/events/track/{token}") as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    frames[token].append(line)
                    return

    threads = [threading.Thread(target=listen, args=(t,), daemon=True) for t in frames]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while len(vigie.bus.hub.subscribers) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    r = client.post(
        f"/api/v1/reports/{private['id']}/status",
        json={"status": "acknowledged", "public_note": "Équipe envoyée au 12 rue Secrète"},
        headers=auth("operator"),
    )
    assert r.status_code == 200
    for t in threads:
        t.join(timeout=10)
    for token, got in frames.items():
        assert len(got) == 1, token
        data = json.loads(got[0][5:])
        assert data["status"] == "acknowledged" and data["reference"] == private["reference"]
        assert data["restricted"] is True
        assert_no_leak(got[0])
        assert "Équipe envoyée" not in got[0]


def test_tracking_photos_of_a_private_report_follow_a_field_agents_assignments(
    client, auth, vigie, make_agent
):
    from vigie.accounts.actions import do_create_login

    private = submit(client, PRIVATE, photo=True)
    (photo,) = client.get(f"/api/v1/reports/{private['id']}", headers=auth("operator")).json()["photos"]
    path = photo["url"].removeprefix("http://testserver")
    field_agent = make_agent("field_agent", "voirie-sud")
    token, _ = do_create_login(vigie.db, field_agent, "bearer", 1)
    as_field_agent = {"Authorization": f"Bearer {token}"}
    # Not theirs: the report answers 404 to them, so does its photo.
    assert client.get(f"/api/v1/reports/{private['id']}", headers=as_field_agent).status_code == 404
    assert client.get(path, headers=as_field_agent).status_code == 404
    r = client.post(
        f"/api/v1/reports/{private['id']}/assign", json={"user_id": field_agent.id}, headers=auth("operator")
    )
    assert r.status_code == 200, r.text
    r = client.get(path, headers=as_field_agent)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
