"""The agents' view derived from field lists: one entry reaches every agents' rendering."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from vigie.db import utcnow
from vigie.reports import intake, views
from vigie.reports.actions import report_event
from vigie.reports.storage import ReportRow
from vigie.reports.views import AgentField, agent_view, public_view
from vigie.runtime import Vigie

from .helpers import submission


def test_reports_views_one_agent_field_reaches_every_agents_rendering(
    vigie: Vigie, client: TestClient, auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        views, "AGENT_ONLY", (*views.AGENT_ONLY, AgentField("device", lambda r, _: r.device_id))
    )
    row = intake.do_create_reports(
        vigie, [intake.check_submission(vigie, submission(device_id="tel-42"))]
    ).row
    assert agent_view(row, vigie.catalogue, utcnow())["device"] == "tel-42"
    assert client.get(f"/api/v1/reports/{row.id}", headers=auth("operator")).json()["device"] == "tel-42"
    queue = client.get("/api/v1/pilotage/queue", headers=auth("operator")).json()
    assert [item["device"] for item in queue["items"]] == ["tel-42"]
    event = report_event(vigie, "report.created", row)
    assert event.agent["device"] == "tel-42" and "device" not in event.payload
    assert "device" not in client.get(f"/api/v1/reports/{row.id}").json()  # never the public's


def test_reports_views_agents_read_the_public_fields_as_filed(vigie: Vigie) -> None:
    row = intake.do_create_reports(
        vigie, [intake.check_submission(vigie, submission(description="Trou, voisin M. Dupont"))]
    ).row
    with vigie.db.session(write=True) as s:
        s.execute(
            update(ReportRow)
            .where(ReportRow.id == row.id)
            .values(public_description="Trou dans la chaussée", public_checked_at=utcnow())
        )
        s.commit()
        row = s.get(ReportRow, row.id)
        seen = agent_view(row, vigie.catalogue, utcnow())
        public = public_view(row, vigie.catalogue, policy=vigie.city.publication)
    assert seen["description"] == "Trou, voisin M. Dupont"
    assert public["description"] == "Trou dans la chaussée"
    # Every public key, then every agent-only key, in the lists' order.
    assert list(seen) == [*public, *(f.name for f in views.AGENT_ONLY)]
    assert seen["moderation"]["public_description"] == "Trou dans la chaussée"
