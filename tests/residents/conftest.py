"""Fixtures of the resident account tests: rounds, reports, signing in through the e-mail link."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from vigie.notifications.storage import OutboxRow
from vigie.reports.intake import Submission, check_submission, do_submit_report
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie
from vigie.settings import Settings

DIJON = {"lat": 47.3220, "long": 5.0415}
ROUNDS = """
streams:
  household: {fr: Ordures ménagères, en: Household waste}
  recycling: {fr: Recyclables, en: Recycling}
holidays: next_day
exceptions:
  - {date: 2027-01-06, moved_to: 2027-01-07}
zones:
  - id: ville
    name: Ville
    communes: ["21231"]
    rounds: {household: [mon, thu], recycling: [wed]}
"""
LINK = re.compile(r"http://testserver(/compte/lien/[A-Za-z0-9_-]+)")


@pytest.fixture
def vigie_settings(vigie_settings: Settings, tmp_path: Path) -> Settings:
    rounds = tmp_path / "waste.yaml"
    rounds.write_text(ROUNDS, encoding="utf-8")
    data = vigie_settings.model_dump()
    data.update(
        background_services=False,
        notify_transport="file",
        mail_from="Vigie <no-reply@vigie.example>",
        waste_rounds=str(rounds),
        mail_digest_minutes=0,
    )
    return Settings(**data)


def outbox(v: Vigie, kind: str | None = None) -> list[OutboxRow]:
    with v.db.session() as s:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if kind:
            query = query.where(OutboxRow.kind == kind)
        return list(s.scalars(query))


def last_link(v: Vigie, email: str) -> str:
    """The path of the sign-in link last e-mailed to ``email``."""
    rows = [r for r in outbox(v, "signin") if r.recipient == email.lower()]
    assert rows, f"no sign-in link was sent to {email}"
    found = LINK.search(rows[-1].body_text)
    assert found, rows[-1].body_text
    return found.group(1)


def sign_in(client: TestClient, v: Vigie, email: str) -> str:
    """Ask a link, open it, press its button: the client holds the session; the CSRF token."""
    assert client.post("/compte/connexion", data={"email": email}).status_code == 202
    path = last_link(v, email)
    assert client.get(path).status_code == 200
    r = client.post(path, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(client.get("/api/v1/resident").json()["csrf_token"])


@pytest.fixture
def submit(vigie: Vigie) -> Callable[..., ReportRow]:
    def make(**over: Any) -> ReportRow:
        values: dict[str, Any] = {
            "service_code": "nid-de-poule",
            "channel": "web",
            "description": "Trou devant la boulangerie",
            "lat": DIJON["lat"],
            "long": DIJON["long"],
            "attributes": {"danger_immediat": "non"},
        }
        values.update(over)
        row, _ = do_submit_report(vigie, check_submission(vigie, Submission(**values)))
        return row

    return make
