"""mySociety extension: GET servicerequestupdates (as polled by FixMyStreet)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vigie.accounts.domain import Agent
from vigie.reports import actions
from vigie.runtime import Vigie

from .helpers import CENTRE, FORMATS, PRIVATE, V2, spec_error, xml_root

UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]


@pytest.fixture
def history(new_report: Callable[..., str], vigie: Vigie, make_agent: Callable[..., Agent]) -> dict[str, str]:
    """One report created, acknowledged silently, requalified (no public change), resolved."""
    rid = new_report()
    agent = make_agent("operator")
    actions.do_change_status(vigie, rid, agent, "acknowledged", internal_note="interne")
    actions.do_assign(vigie, rid, agent, team=next(iter(vigie.catalogue.teams)))
    actions.do_move(vigie, rid, agent, 47.3221, 5.0416)  # no status change, no note
    actions.do_change_status(vigie, rid, agent, "resolved", public_note="Trou rebouché")
    return {"id": rid}


def test_servicerequestupdates_json_lists_public_changes(client: TestClient, history: dict[str, str]) -> None:
    r = client.get(f"{V2}/servicerequestupdates.json")
    assert r.status_code == 200
    body = r.json()
    assert all(list(u) == UPDATE_FIELDS for u in body)
    assert {u["service_request_id"] for u in body} == {history["id"]}
    assert [(u["status"], u["description"]) for u in body] == [
        ("open", ""),  # created
        ("open", ""),  # acknowledged
        ("open", ""),  # assigned
        ("closed", "Trou rebouché"),
    ]
    ids = [int(u["update_id"]) for u in body]
    assert ids == sorted(ids)
    assert "interne" not in r.text


def test_servicerequestupdates_xml_layout(client: TestClient, history: dict[str, str]) -> None:
    root = xml_root(client.get(f"{V2}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    updates = root.findall("request_update")
    assert len(updates) == 4
    assert [c.tag for c in updates[-1]] == UPDATE_FIELDS
    assert updates[-1].findtext("status") == "closed"
    assert updates[-1].findtext("description") == "Trou rebouché"
    assert updates[-1].findtext("service_request_id") == history["id"]


def test_servicerequestupdates_window_and_pages(client: TestClient, history: dict[str, str]) -> None:
    now = datetime.now(UTC)
    past = {
        "start_date": (now - timedelta(days=10)).isoformat(),
        "end_date": (now - timedelta(days=5)).isoformat(),
    }
    assert client.get(f"{V2}/servicerequestupdates.json", params=past).json() == []
    page = {"page_size": "3", "page": "2"}
    body = client.get(f"{V2}/servicerequestupdates.json", params=page).json()
    assert [u["status"] for u in body] == ["closed"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_servicerequestupdates_bad_window_is_400(client: TestClient, fmt: str) -> None:
    params = {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-12-01T00:00:00Z"}
    r = client.get(f"{V2}/servicerequestupdates.{fmt}", params=params)
    assert r.status_code == 400
    assert spec_error(r)[1].startswith("end_date: ")


def test_servicerequestupdates_skip_non_public_reports(
    client: TestClient, post: Callable[..., Any], extra_services: Vigie
) -> None:
    post(service_code=PRIVATE, **CENTRE)
    assert client.get(f"{V2}/servicerequestupdates.json").json() == []
