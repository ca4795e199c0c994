"""Services for agents only: never offered to residents, usable in the control room and by phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.reports.helpers import DIJON, report_body
from vigie.catalogue.loader import load_catalogue
from vigie.catalogue.synthetic import SMALL_CATALOGUE
from vigie.errors import ConfigurationError

AGENTS_ONLY = "lavage-haute-pression"


def test_agents_only_service_is_never_public(vigie):
    service = vigie.catalogue.services[AGENTS_ONLY]
    assert service.agents_only and not service.public
    assert AGENTS_ONLY not in {s.code for s in vigie.catalogue.resident_services()}


def test_agents_only_service_declared_public_is_refused(tmp_path: Path):
    marked = "    group: voirie\n    agents_only: true\n    public: true\n"
    text = SMALL_CATALOGUE.replace("    group: voirie\n", marked, 1)
    assert text != SMALL_CATALOGUE
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as exc:
        load_catalogue(path)
    (problem,) = exc.value.problems
    assert problem.field.endswith(".public") and "never public" in problem.message


def test_agents_only_service_absent_from_open311(client, api_key):
    listed = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert "nid-de-poule" in listed and AGENTS_ONLY not in listed
    assert AGENTS_ONLY not in client.get("/open311/v2/services.xml").text
    assert client.get(f"/open311/v2/services/{AGENTS_ONLY}.json").status_code == 404
    r = client.post(
        "/open311/v2/requests.json",
        data={"api_key": api_key, "service_code": AGENTS_ONLY, "lat": DIJON["lat"], "long": DIJON["long"]},
    )
    assert r.status_code == 404 and AGENTS_ONLY in r.text
    r = client.get("/open311/v2/requests.json", params={"service_code": AGENTS_ONLY})
    assert r.status_code == 404


def test_agents_only_service_listed_for_agents_only(client, auth):
    anonymous = [s["code"] for s in client.get("/api/v1/services").json()["services"]]
    assert "nid-de-poule" in anonymous and AGENTS_ONLY not in anonymous
    agent = {s["code"]: s for s in client.get("/api/v1/services", headers=auth()).json()["services"]}
    assert agent[AGENTS_ONLY]["agents_only"] is True and agent["nid-de-poule"]["agents_only"] is False


def test_agents_only_service_refused_to_residents_accepted_by_phone(client, auth):
    body = report_body(service_code=AGENTS_ONLY, attributes={})
    r = client.post("/api/v1/reports", json=body)
    assert r.status_code == 422 and f"unknown service_code '{AGENTS_ONLY}'" in r.text
    r = client.post("/api/v1/reports", json={**body, "channel": "phone"}, headers=auth())
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["public"] is False
    # Its report stays off the public lists and map, beside a resident's public one.
    assert client.post("/api/v1/reports", json=report_body()).status_code == 201
    public = client.get("/api/v1/reports").json()["items"]
    assert public and report["id"] not in {item["id"] for item in public}
    agents = client.get("/api/v1/reports", headers=auth()).json()["items"]
    assert report["id"] in {item["id"] for item in agents}


def test_agents_only_service_absent_from_residents_pages_present_in_control_room(client, make_agent):
    assert AGENTS_ONLY not in client.get("/").text
    assert AGENTS_ONLY not in client.get("/carte").text
    agent = make_agent("operator")
    r = client.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})
    assert r.status_code == 200
    page = client.get("/pilotage/appel")
    assert page.status_code == 200 and AGENTS_ONLY in page.text
