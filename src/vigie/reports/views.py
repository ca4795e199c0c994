"""What each audience may see of a report.

``public_view`` is the only shape that reaches public pages, public streams
and open data: it never contains personal data. Its fields are declared once,
in ``reports/fields.py``, for this view and for the database-written list. ``agent_view`` adds the
reporter's contact and internal fields for agents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigie.catalogue.domain import Catalogue
from vigie.city.publication import PublicationPolicy
from vigie.reports import fields
from vigie.reports.domain import sla_state
from vigie.reports.fields import Shown, iso
from vigie.reports.records import ReportData, UpdateData


def public_view(
    row: ReportData, catalogue: Catalogue, lang: str = "fr", base: str = "", *, policy: PublicationPolicy
) -> dict[str, Any]:
    """The public fields of ``fields.PUBLIC``, rendered by Python under the city's ``policy``."""
    shown = Shown(catalogue, policy, lang, base)
    return {f.name: f.value(row, shown) for f in fields.public_fields()}


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
        # Moderation: what the public sees is decided by the city's policy (city/publication.py).
        "moderation": {
            "public_description": row.public_description,
            "checked_at": iso(row.public_checked_at),
            "photos": {p.key: p.moderation for p in row.photos},
        },
        "erased_at": iso(row.erased_at),
    }


def agent_view(
    row: ReportData, catalogue: Catalogue, now: datetime, lang: str = "fr", base: str = ""
) -> dict[str, Any]:
    # Agents see the report as filed: the public policy does not apply to them.
    view = public_view(row, catalogue, lang, base, policy=AGENTS)
    view["description"] = row.description
    return {**view, **agent_extra(row, now)}


AGENTS = PublicationPolicy()  # everything as filed (agents' own views)


def update_view(
    u: UpdateData, agent: bool = False, policy: PublicationPolicy = AGENTS, media_shown: bool = True
) -> dict[str, Any]:
    """One history entry; the public's (``agent`` false) has its date at the ``policy``'s precision
    and the media links given with the report only when its photos are shown (``media_shown``)."""
    out: dict[str, Any] = {
        "id": str(u.id),
        "kind": u.kind,
        "status": u.status,
        "previous_status": u.previous_status,
        "public_note": u.public_note,
        "at": iso(u.at if agent else policy.when(u.at)),
    }
    if agent:
        out.update({"internal_note": u.internal_note, "actor": u.actor_label, "detail": u.detail or {}})
    elif u.detail and "media" in u.detail and media_shown:
        out["media"] = u.detail["media"]
    return out
