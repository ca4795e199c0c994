"""What the control room pages give their scripts: labels, catalogue, messages."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select

from vigie.accounts.domain import Agent
from vigie.accounts.storage import UserRow
from vigie.catalogue.domain import Procedure
from vigie.db import utcnow
from vigie.maps.pages import map_config
from vigie.pilotage.queue import place_text
from vigie.reports.actions import report_updates
from vigie.reports.domain import TRANSITIONS, Status
from vigie.reports.field import HANDBACK_REASONS
from vigie.reports.storage import ReportRow
from vigie.reports.views import agent_view, update_view
from vigie.runtime import Vigie
from vigie.web.i18n import catalog, request_language, translate

OPEN_STATUSES = ["new", "acknowledged", "assigned", "in_progress", "reopened"]
PRIORITIES = ["urgent", "high", "normal", "low"]
SLA_STATES = ["overdue", "due_soon", "on_time", "none"]
JS_PREFIX = "pilotage.js."


def page_lang(request: Request) -> str:
    v: Vigie = request.app.state.vigie
    return request_language(request, v.city.default_language)


def page_base(
    request: Request,
    agent: Agent,
    csrf: str,
    *,
    labels: dict[str, Any],
    messages: dict[str, str],
    **page: Any,
) -> dict[str, Any]:
    """What every control-room page hands its template: the agent, CSRF token, page data."""
    v: Vigie = request.app.state.vigie
    data = {
        "lang": page_lang(request),
        "timezone": str(v.city.timezone),
        "agent": {"id": agent.id, "name": agent.label, "role": agent.role.value},
        "labels": labels,
        **page,
    }
    return {
        "agent": agent,
        "csrf_token": csrf,
        "page_data": data,
        "js_messages": messages,
        "map_cfg": map_config(request),
    }


def js_messages(lang: str, terms: dict[str, str] | None = None) -> dict[str, str]:
    """Every ``pilotage.js.*`` message, for the scripts (placeholders as {name}; the city's filled in)."""
    fr = catalog()["fr"]
    t = terms or {}
    return {key[len(JS_PREFIX) :]: translate(lang, key, **t) for key in fr if key.startswith(JS_PREFIX)}


def labels(v: Vigie, lang: str) -> dict[str, Any]:
    def t(key: str) -> str:
        return translate(lang, key)

    return {
        "status": {s.value: t(f"pilotage.status.{s.value}") for s in Status},
        "priority": {p: t(f"pilotage.priority.{p}") for p in PRIORITIES},
        "sla": {s: t(f"pilotage.sla.{s}") for s in SLA_STATES},
        "channel": {
            c: t(f"pilotage.channel.{c}")
            for c in ("app", "web", "open311", "email", "phone", "sensor", "import")
        },
        "groups": {g.code: g.name.get(lang) for g in v.catalogue.groups.values()},
        "services": {s.code: s.name.get(lang) for s in v.catalogue.services.values()},
        "zones": {z.code: z.name for z in v.city.zones.zones},
        "teams": {tm.code: tm.name.get(lang) for tm in v.catalogue.teams.values()},
        "reasons": {r: t(f"pilotage.handback.{r}") for r in HANDBACK_REASONS},
    }


def services_data(v: Vigie, lang: str) -> list[dict[str, Any]]:
    """Services with their attributes, for category search and the intake form."""
    out = []
    for s in v.catalogue.services.values():
        out.append(
            {
                "code": s.code,
                "group": s.group,
                "name": s.name.get(lang),
                "description": s.description.get(lang),
                "keywords": list(s.keywords),
                "public": s.public,
                "agents_only": s.agents_only,
                "attributes": [
                    {
                        "code": a.code,
                        "datatype": a.datatype.value,
                        "required": a.required,
                        "description": a.description.get(lang),
                        "values": [{"key": x.key, "name": x.name.get(lang)} for x in a.values],
                    }
                    for a in sorted(s.attributes, key=lambda a: a.order)
                ],
            }
        )
    return out


def sorted_zones(v: Vigie) -> list[dict[str, str]]:
    return [{"code": z.code, "name": z.name} for z in sorted(v.city.zones.zones, key=lambda z: z.name)]


def sorted_groups(v: Vigie, lang: str) -> list[dict[str, str]]:
    return [
        {"code": g.code, "name": g.name.get(lang)}
        for g in sorted(v.catalogue.groups.values(), key=lambda g: g.name.get(lang))
    ]


def user_name(v: Vigie, user_id: int | None) -> str:
    if user_id is None:
        return ""
    with v.db.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.id == user_id))
    return (row.name or row.email) if row else f"#{user_id}"


def procedure_messages(v: Vigie, row: ReportRow, lang: str) -> dict[str, str]:
    """Per status, the template that prefills a public note: the current team's."""
    return {status: found[0]["text"] for status, found in template_choices(v, row, lang).items()}


def template_choices(v: Vigie, row: ReportRow, lang: str) -> dict[str, list[dict[str, Any]]]:
    """Per status, the templates an operator may pick for this report's public note.

    They come from the procedures that can treat the report's service (in any
    zone), one per team — the procedure of the report itself, else the one for
    its zone, else the most specific — and the same text is offered once, naming
    its teams. The current team's comes first (it prefills the note), not the
    first procedure of the catalogue: a report reassigned from the north depot to
    the south one is answered in the south depot's words.
    """
    service = v.catalogue.service(row.service_code)
    group = service.group if service else None
    own = v.catalogue.procedure(row.procedure_id)
    candidates = [
        p
        for p in v.catalogue.procedures
        if p.messages and (p.service == row.service_code or (p.service is None and p.group in (None, group)))
    ]
    candidates.sort(
        key=lambda p: (
            p.team != row.team,
            p is not own,
            p.zone not in (None, row.zone),
            tuple(-x for x in p.specificity),
        )
    )
    per_team: dict[str, Procedure] = {}
    for p in candidates:
        per_team.setdefault(p.team, p)
    if own is not None and own.team not in per_team:
        per_team[own.team] = own
    teams = v.catalogue.teams
    out: dict[str, list[dict[str, Any]]] = {}
    for team, proc in per_team.items():
        name = teams[team].name.get(lang) if team in teams else team
        for status, text in proc.messages.items():
            body = text.get(lang)
            if not body:
                continue
            entries = out.setdefault(status, [])
            same = next((e for e in entries if e["text"] == body), None)
            if same is not None:
                same["label"] += ", " + name
                same["teams"].append(team)
                continue
            entries.append({"teams": [team], "label": name, "text": body})
    return out


def next_statuses(status: str) -> list[str]:
    """Statuses the status dialog offers (a duplicate is made by merging)."""
    order = [s.value for s in Status]
    allowed = {s.value for s in TRANSITIONS[Status(status)]} - {Status.DUPLICATE.value}
    return [s for s in order if s in allowed]


def attribute_rows(v: Vigie, row: ReportRow, lang: str) -> list[dict[str, str]]:
    service = v.catalogue.service(row.service_code)
    out = []
    for code, value in (row.attributes or {}).items():
        attr = service.attribute(code) if service else None
        names = {x.key: x.name.get(lang) for x in attr.values} if attr else {}
        values = value if isinstance(value, list) else [value]
        out.append(
            {
                "label": attr.description.get(lang) if attr else code,
                "value": ", ".join(names.get(str(x), str(x)) for x in values),
            }
        )
    return out


def report_context(v: Vigie, row: ReportRow, lang: str, agent: Agent) -> dict[str, Any]:
    """Everything the detail pages (control room and field) render about one report."""
    view = agent_view(row, v.catalogue, utcnow(), lang, "")
    history = [update_view(u, True) for u in report_updates(v, row.id)]
    history.reverse()
    zone = v.city.zones.by_code.get(row.zone)
    team = v.catalogue.teams.get(row.team)
    return {
        "report": view,
        "row": row,
        "history": history,
        "attributes": attribute_rows(v, row, lang),
        "zone_name": zone.name if zone else row.zone,
        "place": place_text(row.address, zone.name if zone else row.zone, row.lat, row.long, lang),
        "group_name": (
            v.catalogue.groups[row.service_group].name.get(lang)
            if row.service_group in v.catalogue.groups
            else row.service_group
        ),
        "team_name": team.name.get(lang) if team else row.team,
        "assigned_name": user_name(v, row.assigned_user_id),
        "report_photos": [p for p in view["photos"] if p["kind"] != "resolution"],
        "resolution_photos": [p for p in view["photos"] if p["kind"] == "resolution"],
        "next_statuses": next_statuses(row.status),
        "is_mine": row.assigned_user_id == agent.id,
    }
