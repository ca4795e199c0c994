"""Sites and extractions the video-protection tests (and the route walk) start from."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from vigie.accounts.domain import Agent
from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.videoprotection import actions
from vigie.videoprotection.domain import ExtractionDraft, SiteDraft


def site_body(code: str = "DIJ-VP-001", authorised_on: date | None = None, **over: Any) -> dict[str, Any]:
    """A site authorised two years ago (in force), as the API takes it."""
    on = authorised_on or date.today() - timedelta(days=730)
    body: dict[str, Any] = {
        "code": code,
        "name": "Place de la Libération",
        "zone": "21231",
        "address": "Place de la Libération, Dijon",
        "lat": 47.3215,
        "long": 5.0415,
        "authorisation_number": f"2024-VP-{code}",
        "authorisation_date": on.isoformat(),
        "purposes": ["public_buildings", "crime_prevention"],
        "retention_days": 15,
        "responsible_name": "Claire Martin",
        "responsible_service": "Police municipale de Dijon",
        "access_contact": "Police municipale, 2 rue des Corroyeurs, 21000 Dijon",
        "commission_opinion": "favourable",
        "commission_date": (on - timedelta(days=30)).isoformat(),
    }
    body.update(over)
    return body


def draft(body: dict[str, Any]) -> SiteDraft:
    values = dict(body)
    for k in ("authorisation_date", "authorisation_expiry", "commission_date", "in_service_on"):
        if isinstance(values.get(k), str):
            values[k] = date.fromisoformat(values[k])
    return SiteDraft(**values)


def video_site(v: Vigie, agent: Agent, code: str = "DIJ-VP-001", **over: Any) -> dict[str, Any]:
    return actions.do_save_site(v, agent, draft(site_body(code, **over)))


def extraction(camera_id: str, as_json: bool = False, **over: Any) -> Any:
    now = utcnow()
    values: dict[str, Any] = {
        "requisition_kind": "judicial",
        "requisition_reference": "PV 2026/001234",
        "requisition_date": now.date(),
        "requester": "Commissariat de Dijon, officier de police judiciaire",
        "cameras": [camera_id],
        "span_start": now - timedelta(hours=3),
        "span_end": now - timedelta(hours=2),
        "medium": "encrypted_usb",
        "medium_reference": "USB-0042",
        "destruction_due": now.date() + timedelta(days=365),
    }
    values.update(over)
    if as_json:
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
    return ExtractionDraft(**values)
