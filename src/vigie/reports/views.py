"""What each audience may see of a report.

``public_view`` is the only shape that reaches public pages, public streams
and open data: it never contains personal data. ``agent_view`` adds the
reporter's contact and internal fields for agents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigie.catalogue.domain import Catalogue
from vigie.reports.domain import open311_status, sla_state
from vigie.reports.records import ReportData, UpdateData


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def photo_urls(row: ReportData, base: str = "") -> list[dict[str, Any]]:
    return [
        {
            "id": p.key,
            "kind": p.kind,
            "url": f"{base}/api/v1/photos/{p.key}",
            "thumbnail_url": f"{base}/api/v1/photos/{p.key}/thumbnail",
            "width": p.width,
            "height": p.height,
        }
        for p in row.photos
    ]


def public_view(row: ReportData, catalogue: Catalogue, lang: str = "fr", base: str = "") -> dict[str, Any]:
    service = catalogue.service(row.service_code)
    return {
        "id": str(row.id),
        "reference": row.reference,
        "service_code": row.service_code,
        "service_name": service.name.get(lang) if service else row.service_code,
        "group": row.service_group,
        "status": row.status,
        "open311_status": open311_status(row.status),
        "description": row.description,
        "lat": row.lat,
        "long": row.long,
        "address": row.address,
        "address_id": row.address_id,
        "zone": row.zone,
        "attributes": row.attributes or {},
        "status_notes": row.status_notes,
        "reject_reason": row.reject_reason,
        "duplicate_of": str(row.duplicate_of_id) if row.duplicate_of_id else None,
        "requested_at": iso(row.requested_at),
        "updated_at": iso(row.updated_at),
        "expected_at": iso(row.expected_at),
        "closed_at": iso(row.closed_at),
        "photos": photo_urls(row, base),
    }


def agent_extra(row: ReportData, now: datetime) -> dict[str, Any]:
    return {
        "public": row.public,
        "channel": row.channel,
        "priority": row.priority,
        "team": row.team,
        "procedure_id": row.procedure_id,
        "assigned_user_id": row.assigned_user_id,
        "acknowledged_at": iso(row.acknowledged_at),
        "sla_state": sla_state(row.expected_at, row.status, now),
        "reporter": {
            "name": row.reporter_name,
            "email": row.reporter_email,
            "phone": row.reporter_phone,
            "lang": row.reporter_lang,
        },
        "external_id": row.external_id,
    }


def agent_view(
    row: ReportData, catalogue: Catalogue, now: datetime, lang: str = "fr", base: str = ""
) -> dict[str, Any]:
    return {**public_view(row, catalogue, lang, base), **agent_extra(row, now)}


def update_view(u: UpdateData, agent: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(u.id),
        "kind": u.kind,
        "status": u.status,
        "previous_status": u.previous_status,
        "public_note": u.public_note,
        "at": iso(u.at),
    }
    if agent:
        out.update({"internal_note": u.internal_note, "actor": u.actor_label, "detail": u.detail or {}})
    elif u.detail and "media" in u.detail:
        out["media"] = u.detail["media"]
    return out
