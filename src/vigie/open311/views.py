"""Spec-shaped Open311 records built from the catalogue and report rows.

Only public fields are read: nothing here touches the reporter's name, e-mail,
phone, device, account or tracking token, and history entries carry no actor
and no internal note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vigie.catalogue.domain import Attribute, Procedure, Service
from vigie.city.publication import PublicationPolicy, Shown
from vigie.reports.domain import Status, open311_status
from vigie.reports.fields import photo_urls
from vigie.reports.publication import creation_media_shown
from vigie.reports.records import ReportData, UpdateData
from vigie.runtime import Vigie

from . import fields
from .fields import Seen, media
from .params import local_iso

# History entries that say something to the public (with a status change or a note).
UPDATE_KINDS = ("created", "status", "assign", "merge")


@dataclass
class Ctx:
    """What every rendering needs: the platform, the language and the public base URL."""

    v: Vigie
    lang: str
    notices: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # What the client may see of reports: None is the city's publication policy (the
    # public's); agents who see private reports get everything as filed.
    policy: PublicationPolicy | None = None

    @property
    def publication(self) -> PublicationPolicy:
        return self.policy if self.policy is not None else self.v.city.publication

    @property
    def base(self) -> str:
        return self.v.settings.public_base_url.rstrip("/")

    def procedure(self, procedure_id: str) -> Procedure | None:
        return self.v.catalogue.procedure(procedure_id)


def service_view(ctx: Ctx, s: Service) -> dict[str, Any]:
    group = ctx.v.catalogue.groups.get(s.group)
    return {
        "service_code": s.code,
        "service_name": s.name.get(ctx.lang),
        "description": s.description.get(ctx.lang),
        "metadata": s.metadata,
        "type": s.type,
        "keywords": ", ".join(s.keywords),
        "group": group.name.get(ctx.lang) if group else s.group,
    }


def _attribute(ctx: Ctx, a: Attribute) -> dict[str, Any]:
    return {
        "variable": a.variable,
        "code": a.code,
        "datatype": a.datatype.value,
        "required": a.required,
        "datatype_description": (a.datatype_description.get(ctx.lang) if a.datatype_description else None),
        "order": a.order,
        "description": a.description.get(ctx.lang),
        "values": [{"key": val.key, "name": val.name.get(ctx.lang)} for val in a.values],
    }


def definition_view(ctx: Ctx, s: Service) -> dict[str, Any]:
    attrs = sorted(s.attributes, key=lambda a: (a.order, a.code))
    return {"service_code": s.code, "attributes": [_attribute(ctx, a) for a in attrs]}


def service_notice(ctx: Ctx, row: ReportData) -> str | None:
    """What the city says it will do: the procedure's message for the current status.

    A report not yet acknowledged falls back on the acknowledgement message, which
    is what catalogues write to say what happens next.
    """
    return notice_for(ctx, row.procedure_id, row.status)


def notice_for(ctx: Ctx, procedure_id: str, status: str) -> str | None:
    key = (procedure_id, status)
    if key not in ctx.notices:  # a page repeats the same few (procedure, status) pairs
        ctx.notices[key] = _notice(ctx, *key)
    return ctx.notices[key]


def _notice(ctx: Ctx, procedure_id: str, status: str) -> str | None:
    proc = ctx.procedure(procedure_id)
    if proc is None:
        return None
    statuses = [status]
    if status in (Status.NEW, Status.REOPENED):
        statuses.append(Status.ACKNOWLEDGED.value)
    return next((m for m in (proc.message(s, ctx.lang) for s in statuses) if m), None)


def is_public_update(u: UpdateData) -> bool:
    """Creation, a status change or a public note: what residents may see of a history."""
    changed = u.previous_status is None or u.previous_status != u.status
    return u.kind == "created" or changed or bool(u.public_note)


def note_view(ctx: Ctx, u: UpdateData, media_shown: bool = True) -> dict[str, Any]:
    return {
        "datetime": local_iso(ctx.publication.when(u.at), ctx.v.city.timezone),
        "type": u.kind,
        "status": open311_status(u.status),
        "detailed_status": u.status,
        "description": u.public_note or None,
        "media_url": media(u) if media_shown or u.kind != "created" else None,
    }


def request_view(
    ctx: Ctx,
    row: ReportData,
    updates: list[UpdateData] | None = None,
    extensions: bool = False,
) -> dict[str, Any]:
    """One ``request`` element; ``updates`` is the report's history, oldest first.

    Its elements are ``fields.REQUEST``'s, the list the database's pages are written from.
    """
    policy = ctx.publication
    photos = photo_urls(row, ctx.base, policy)
    updates = updates or []
    seen = Seen(ctx, updates, photos)
    out: dict[str, Any] = {f.name: f.value(row, seen) for f in fields.request_fields()}
    if extensions:
        checked = row.public_checked_at is not None
        shown = policy.description_shown(checked)
        out["attributes"] = (
            _attribute_values(ctx.v.catalogue.public_answers(row.service_code, row.attributes))
            if shown
            else []
        )
        out["extended_attributes"] = {
            "reference": row.reference,
            "zone": row.zone,
            "group": row.service_group,
            "detailed_status": row.status,
            "duplicate_of": str(row.duplicate_of_id) if row.duplicate_of_id else None,
            "photos": [{"url": p["url"], "thumbnail_url": p["thumbnail_url"]} for p in photos],
        }
        media_shown = creation_media_shown(policy, checked)
        out["notes"] = [note_view(ctx, u, media_shown) for u in updates if is_public_update(u)]
    return out


def _attribute_values(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{"code": …, "value": …}]``; a multivaluelist value is a list (repeated in XML)."""
    values = sorted(answers.items())
    return [{"code": code, "value": value} for code, value in values]


def update_view(ctx: Ctx, u: UpdateData) -> dict[str, Any]:
    """One ``request_update`` of the mySociety servicerequestupdates extension."""
    return {
        "update_id": str(u.id),
        "service_request_id": str(u.report_id),
        "status": open311_status(u.status),
        "updated_datetime": local_iso(ctx.publication.when(u.at), ctx.v.city.timezone),
        "description": u.public_note or "",
        # A resident's media link, given with the report, cannot wait for a check here.
        "media_url": media(u) if u.kind != "created" or ctx.publication.photos is Shown.ALWAYS else None,
    }


__all__ = [
    "Ctx",
    "UPDATE_KINDS",
    "definition_view",
    "is_public_update",
    "note_view",
    "notice_for",
    "request_view",
    "service_notice",
    "service_view",
    "update_view",
]
