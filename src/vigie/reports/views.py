"""What each audience may see of a report.

``public_view`` is the only shape that reaches public pages, public streams
and open data: it never contains personal data. Its fields are declared once,
in ``reports/fields.py``, for this view and for the database-written list.

``agent_view`` is derived the same way: the public fields as filed (the city's
publication policy does not apply to agents, and they read the resident's own
text), then :data:`AGENT_ONLY`, the fields only agents see: the reporter's
contact and the internal ones. Adding a field to either list is the one change
that shows it to its audience; only this module reads a reporter's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigie.catalogue.domain import Catalogue
from vigie.city.publication import PublicationPolicy
from vigie.reports import fields
from vigie.reports.domain import sla_state
from vigie.reports.fields import Field, Shown, iso
from vigie.reports.records import ReportData, UpdateData


def public_view(
    row: ReportData, catalogue: Catalogue, lang: str = "fr", base: str = "", *, policy: PublicationPolicy
) -> dict[str, Any]:
    """The public fields of ``fields.PUBLIC``, rendered by Python under the city's ``policy``."""
    shown = Shown(catalogue, policy, lang, base)
    return {f.name: f.value(row, shown) for f in fields.public_fields()}


@dataclass(frozen=True)
class AgentField:
    """One key only agents see, rendered from the report and the time (the SLA state moves)."""

    name: str
    value: Callable[[ReportData, datetime], Any]


def _reporter(r: ReportData, _now: datetime) -> dict[str, Any]:
    return {
        "name": r.reporter_name,
        "email": r.reporter_email,
        "phone": r.reporter_phone,
        "lang": r.reporter_lang,
    }


def _moderation(r: ReportData, _now: datetime) -> dict[str, Any]:
    # What the public sees is decided by the city's policy (city/publication.py).
    return {
        "public_description": r.public_description,
        "checked_at": iso(r.public_checked_at),
        "photos": {p.key: p.moderation for p in r.photos},
    }


AGENT_ONLY: tuple[AgentField, ...] = (
    AgentField("public", lambda r, _: r.public),
    AgentField("channel", lambda r, _: r.channel),
    AgentField("priority", lambda r, _: r.priority),
    AgentField("team", lambda r, _: r.team),
    AgentField("procedure_id", lambda r, _: r.procedure_id),
    AgentField("assigned_user_id", lambda r, _: r.assigned_user_id),
    AgentField("acknowledged_at", lambda r, _: iso(r.acknowledged_at)),
    AgentField("sla_state", lambda r, now: sla_state(r.expected_at, r.status, now)),
    AgentField("reporter", _reporter),
    AgentField("external_id", lambda r, _: r.external_id),
    AgentField("moderation", _moderation),
    AgentField("erased_at", lambda r, _: iso(r.erased_at)),
)
# The public fields agents read otherwise: the text as the resident wrote it.
AS_FILED = {
    "description": Field("description", lambda r, _: r.description, None),
    "attributes": Field("attributes", lambda r, _: r.attributes or {}, None),
}


def agent_fields() -> tuple[Field, ...]:
    """The public fields as agents see them (read at each use, like ``fields.public_fields``)."""
    return tuple(AS_FILED.get(f.name, f) for f in fields.public_fields())


def agent_extra(row: ReportData, now: datetime) -> dict[str, Any]:
    """The fields of :data:`AGENT_ONLY` (the agents' part of a live event)."""
    return {f.name: f.value(row, now) for f in AGENT_ONLY}


def agent_view(
    row: ReportData, catalogue: Catalogue, now: datetime, lang: str = "fr", base: str = ""
) -> dict[str, Any]:
    # Agents see the report as filed: the public policy does not apply to them.
    shown = Shown(catalogue, AGENTS, lang, base)
    return {**{f.name: f.value(row, shown) for f in agent_fields()}, **agent_extra(row, now)}


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
