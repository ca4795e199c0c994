"""Use cases of the reports context.

``check_*`` functions validate and return clean values; ``do_*`` functions
write in one transaction and publish domain events after it commits.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vigie.accounts.actions import do_audit, require
from vigie.accounts.domain import Agent
from vigie.accounts.storage import UserRow
from vigie.catalogue.domain import Procedure, Service
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.domain import DomainEvent
from vigie.reports.domain import (
    CLOSED,
    Channel,
    Status,
    check_attributes,
    check_coordinates,
    check_description,
    check_transition,
    expected_datetime,
)
from vigie.reports.storage import (
    FollowerRow,
    IdempotencyRow,
    PhotoRow,
    ReportRow,
    ReportUpdateRow,
)
from vigie.reports.views import agent_extra, public_view, update_view
from vigie.runtime import Vigie

if TYPE_CHECKING:  # Pillow is imported only where photos are processed
    from vigie.photos.processing import ProcessedPhoto


@dataclass
class Submission:
    service_code: str
    channel: Channel | str
    description: str = ""
    lat: Any = None
    long: Any = None
    address: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    reporter_lang: str = ""
    device_id: str = ""
    account_id: str = ""
    # Links to media hosted elsewhere (Open311 media_url); kept on the creation entry.
    media_urls: list[str] = field(default_factory=list)
    # Only importers set these: history keeps its own dates and state.
    external_id: str | None = None
    requested_at: datetime | None = None
    status: str | None = None
    closed_at: datetime | None = None
    status_notes: str = ""


@dataclass
class CheckedSubmission:
    sub: Submission
    service: Service
    lat: float | None
    long: float | None
    zone: str
    attributes: dict[str, Any]
    description: str
    procedure: Procedure
    channel: Channel


@dataclass
class Idempotency:
    scope: str
    key: str
    fingerprint: str

    @staticmethod
    def fingerprint_of(*parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _fold(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c)).replace("-", " ")


def check_submission(v: Vigie, sub: Submission) -> CheckedSubmission:
    code = (sub.service_code or "").strip()
    if not code:
        raise ValidationFailed("service_code is required", field="service_code")
    service = v.catalogue.service(code)
    if service is None:
        raise ValidationFailed(f"unknown service_code '{code}'", field="service_code")
    try:
        channel = Channel(sub.channel)
    except ValueError:
        raise ValidationFailed(f"unknown channel '{sub.channel}'", field="channel") from None
    description = check_description(sub.description)
    address = (sub.address or "").strip()
    if len(address) > 512:
        raise ValidationFailed("address is longer than 512 characters", field="address_string")
    point = check_coordinates(sub.lat, sub.long)
    zones = v.city.zones
    if point is not None:
        zone = zones.locate(*point)
        if zone is None:
            raise ValidationFailed(
                f"this location is outside {v.city.name}; reports are accepted only within its zones",
                field="lat",
            )
    elif address:
        folded = _fold(address)
        # Longest names first: "Neuilly-Crimolois" before a shorter name it contains.
        matches = [z for z in sorted(zones.zones, key=lambda z: -len(z.name)) if _fold(z.name) in folded]
        if not matches:
            raise ValidationFailed(
                f"cannot place this address in a zone of {v.city.name}; "
                "give lat and long, or include the commune (zone) name",
                field="address_string",
            )
        zone = matches[0]
    else:
        raise ValidationFailed("a location is required: lat and long, or an address", field="lat")
    attributes = check_attributes(service, sub.attributes or {})
    for name, limit in (
        ("reporter_name", 200),
        ("reporter_phone", 40),
        ("device_id", 128),
        ("account_id", 128),
    ):
        if len(getattr(sub, name) or "") > limit:
            raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
    if sub.reporter_email:
        from vigie.accounts.actions import check_email

        sub.reporter_email = check_email(sub.reporter_email)
    procedure = v.catalogue.resolve(service.code, zone.code, attributes)
    return CheckedSubmission(
        sub=sub,
        service=service,
        lat=point[0] if point else None,
        long=point[1] if point else None,
        zone=zone.code,
        attributes=attributes,
        description=description,
        procedure=procedure,
        channel=channel,
    )


def _lang(v: Vigie, lang: str) -> str:
    return lang if lang in v.city.languages else v.city.default_language


def _event(v: Vigie, type_: str, row: ReportRow, extra_ids: tuple[int, ...] = (), **more: Any) -> DomainEvent:
    payload = public_view(row, v.catalogue, v.city.default_language)
    payload.update(more.pop("public", {}))
    agent = agent_extra(row, utcnow())
    agent.update(more.pop("agent", {}))
    return DomainEvent(
        type=type_, report_ids=(row.id, *extra_ids), public=row.public, payload=payload, agent=agent
    )


def lookup_idempotent(v: Vigie, idem: Idempotency) -> int | None:
    with v.db.session() as s:
        row = s.scalar(
            select(IdempotencyRow).where(IdempotencyRow.scope == idem.scope, IdempotencyRow.key == idem.key)
        )
    if row is None:
        return None
    if row.fingerprint != idem.fingerprint:
        raise ValidationFailed(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return int(json.loads(row.body)["report_id"])


def do_submit_report(
    v: Vigie,
    checked: CheckedSubmission,
    photos: list[ProcessedPhoto] | None = None,
    idempotency: Idempotency | None = None,
    agent: Agent | None = None,
) -> tuple[ReportRow, bool]:
    """Create a report. Returns (report, created).

    A replayed idempotent request returns the first report and creates nothing.
    """
    if idempotency:
        existing = lookup_idempotent(v, idempotency)
        if existing is not None:
            return get_report(v, existing), False
    sub = checked.sub
    now = utcnow()
    photo_keys: list[str] = []
    for p in photos or []:
        key = uuid.uuid4().hex
        v.photos.put(key, p.data, p.content_type)
        v.photos.put(key + "_t", p.thumbnail, "image/jpeg")
        photo_keys.append(key)
    def unit(s: Session) -> tuple[ReportRow, list[PhotoRow]]:
        row = _write_report(v, s, checked, agent)
        photo_rows = [
            PhotoRow(
                report_id=row.id,
                key=key,
                kind="report",
                content_type=p.content_type,
                width=p.width,
                height=p.height,
                size=len(p.data),
                created_at=now,
            )
            for key, p in zip(photo_keys, photos or [], strict=True)
        ]
        s.add_all(photo_rows)
        if idempotency:
            s.add(
                IdempotencyRow(
                    scope=idempotency.scope,
                    key=idempotency.key,
                    fingerprint=idempotency.fingerprint,
                    status_code=201,
                    body=json.dumps({"report_id": row.id}),
                    content_type="application/json",
                    created_at=now,
                )
            )
        if agent:
            do_audit(s, agent, "report.create", "report", str(row.id), {"channel": row.channel})
        from vigie.notifications.actions import on_report_created

        on_report_created(v, s, row)
        s.flush()
        return row, photo_rows

    try:
        row, photo_rows = v.db.write(unit)
    except IntegrityError:
        for key in photo_keys:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        if idempotency:
            # Lost a race with the same key: the winner's report is the answer.
            existing = lookup_idempotent(v, idempotency)
            if existing is not None:
                return get_report(v, existing), False
        if sub.external_id:
            raise Conflict(
                f"a report with external id '{sub.external_id}' exists", field="external_id"
            ) from None
        raise
    except BaseException:
        for key in photo_keys:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        raise
    # The committed row is complete: no need to read it back (intake speed).
    set_committed_value(row, "photos", photo_rows)
    if checked.channel != Channel.IMPORT:
        v.bus.publish([_event(v, "report.created", row)])
        # A lighting report near a light in alarm is linked to it (never fails the report).
        from vigie.alarms.actions import on_report_created as link_alarms

        link_alarms(v, row.id, row.service_code, row.service_group)
    return row, True


def _new_report(
    v: Vigie, checked: CheckedSubmission, agent: Agent | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column values of a new report and of its first history entries (without ids)."""
    sub = checked.sub
    requested = sub.requested_at or utcnow()
    proc = checked.procedure
    status = Status(sub.status) if sub.status else Status.NEW
    values: dict[str, Any] = {
        "service_code": checked.service.code,
        "service_group": checked.service.group,
        "status": status.value,
        "public": checked.service.public,
        "description": checked.description,
        "lat": checked.lat,
        "long": checked.long,
        "address": (sub.address or "").strip(),
        "zone": checked.zone,
        "attributes": checked.attributes,
        "channel": checked.channel.value,
        "priority": (proc.priority or checked.service.default_priority).value,
        "procedure_id": proc.id,
        "team": proc.team,
        "assigned_user_id": None,
        "reject_reason": "",
        "duplicate_of_id": None,
        "reporter_name": (sub.reporter_name or "").strip(),
        "reporter_email": sub.reporter_email or "",
        "reporter_phone": (sub.reporter_phone or "").strip(),
        "reporter_lang": _lang(v, sub.reporter_lang),
        "device_id": sub.device_id or "",
        "account_id": sub.account_id or "",
        "token": secrets.token_urlsafe(18),
        "external_id": sub.external_id,
        "requested_at": requested,
        "updated_at": sub.closed_at or requested,
        "expected_at": expected_datetime(
            requested,
            proc.sla.hours,
            proc.sla.business_hours,
            v.city.business_hours,
            v.city.timezone,
        ),
        "acknowledged_at": None,
        "closed_at": sub.closed_at if status in CLOSED else None,
        "status_notes": sub.status_notes or "",
    }
    history: list[dict[str, Any]] = [
        {
            "kind": "created",
            "status": Status.NEW.value,
            "previous_status": None,
            "actor_user_id": agent.id if agent else None,
            "actor_label": agent.label if agent else checked.channel.value,
            "public_note": "",
            "internal_note": "",
            "detail": {"media": list(sub.media_urls)} if sub.media_urls else {},
            "at": requested,
        }
    ]
    if status != Status.NEW:
        history.append(
            {
                "kind": "status",
                "status": status.value,
                "previous_status": Status.NEW.value,
                "actor_user_id": None,
                "actor_label": checked.channel.value,
                "public_note": sub.status_notes or "",
                "internal_note": "",
                "detail": {},
                "at": sub.closed_at or requested,
            }
        )
    return values, history


def _reference(v: Vigie, report_id: int, requested: datetime) -> str:
    return f"{v.city.reference_prefix}-{requested.astimezone(v.city.timezone).year}-{report_id:06d}"


def insert_report(v: Vigie, s: Session, checked: CheckedSubmission, agent: Agent | None = None) -> ReportRow:
    """Add a checked report and its first history entries to ``s`` (flushed, not committed).

    The ORM way, for bulk import and the demo, which go on working on the row.
    """
    values, history = _new_report(v, checked, agent)
    row = ReportRow(**values)
    s.add(row)
    s.flush()
    row.reference = _reference(v, row.id, row.requested_at)
    s.add_all([ReportUpdateRow(report_id=row.id, **h) for h in history])
    return row


_REPORTS: Table = ReportRow.__table__  # type: ignore[assignment]
_UPDATES: Table = ReportUpdateRow.__table__  # type: ignore[assignment]
_SET_REFERENCE = (
    update(_REPORTS).where(_REPORTS.c.id == bindparam("rid")).values(reference=bindparam("ref"))
)


def _write_report(v: Vigie, s: Session, checked: CheckedSubmission, agent: Agent | None) -> ReportRow:
    """Insert a new report with plain statements in ``s``'s transaction.

    The interactive intake path: three statements and no unit of work (the ORM
    flush costs more than the SQL). Returns the row as a detached object.
    """
    values, history = _new_report(v, checked, agent)
    conn = s.connection()
    rid = conn.execute(insert(_REPORTS).returning(_REPORTS.c.id), values).scalar_one()
    reference = _reference(v, rid, values["requested_at"])
    conn.execute(_SET_REFERENCE, {"rid": rid, "ref": reference})
    conn.execute(insert(_UPDATES), [{"report_id": rid, **h} for h in history])
    row = ReportRow(id=rid, reference=reference, **values)
    set_committed_value(row, "photos", [])
    return row


def get_report(v: Vigie, report_id: int | str) -> ReportRow:
    try:
        rid = int(report_id)
    except (TypeError, ValueError):
        raise NotFound(f"no report with id '{report_id}'") from None
    if not 1 <= rid <= 2**31 - 1:  # beyond any stored id (INTEGER columns)
        raise NotFound(f"no report with id '{report_id}'")
    with v.db.session() as s:
        row = s.get(ReportRow, rid)
    if row is None:
        raise NotFound(f"no report with id '{report_id}'")
    return row


def get_report_by_token(v: Vigie, token: str) -> ReportRow:
    with v.db.session() as s:
        row = s.scalar(select(ReportRow).where(ReportRow.token == token))
        if row is None:
            follower = s.scalar(select(FollowerRow).where(FollowerRow.token == token))
            if follower is not None:
                row = s.get(ReportRow, follower.report_id)
    if row is None:
        raise NotFound("no report for this tracking token")
    return row


def report_updates(v: Vigie, report_id: int) -> list[ReportUpdateRow]:
    with v.db.session() as s:
        return list(
            s.scalars(
                select(ReportUpdateRow)
                .where(ReportUpdateRow.report_id == report_id)
                .order_by(ReportUpdateRow.id)
            )
        )


# --- agent actions ---------------------------------------------------------

Mutation = Callable[[Session, ReportRow], dict[str, Any]]


def _mutate(
    v: Vigie,
    report_id: int | str,
    agent: Agent,
    permission: str,
    action: str,
    fn: Mutation,
    *,
    extra_event_ids: tuple[int, ...] = (),
) -> ReportRow:
    require(agent, permission)
    rid = get_report(v, report_id).id
    with v.db.session(write=True) as s:
        row = s.get(ReportRow, rid)
        if row is None:
            raise NotFound(f"no report with id '{report_id}'")
        if agent.role.value == "field_agent" and row.assigned_user_id != agent.id:
            raise NotFound(f"no report with id '{report_id}' among your assignments")
        previous = row.status
        detail = fn(s, row)
        row.updated_at = utcnow()
        update_row = ReportUpdateRow(
            report_id=row.id,
            kind=detail.pop("_kind", action.split(".")[-1]),
            status=row.status,
            previous_status=previous,
            actor_user_id=None if agent.is_system else agent.id,
            actor_label=agent.label,
            public_note=detail.pop("_public_note", ""),
            internal_note=detail.pop("_internal_note", ""),
            detail=detail.get("_detail", {}),
            at=row.updated_at,
        )
        s.add(update_row)
        s.flush()
        # Outbox: the resident's notification is queued in the same transaction.
        from vigie.notifications.actions import on_report_update

        on_report_update(v, s, row, update_row)
        do_audit(
            s,
            agent,
            action,
            "report",
            str(row.id),
            {k: v_ for k, v_ in detail.items() if not k.startswith("_")},
        )
        s.commit()
    row = get_report(v, rid)
    v.bus.publish([_event(v, "report.updated", row, extra_event_ids, public={"change": action})])
    return row


def _set_status(row: ReportRow, target: str) -> None:
    to = check_transition(row.status, target)
    row.status = to.value
    now = utcnow()
    if to == Status.ACKNOWLEDGED and row.acknowledged_at is None:
        row.acknowledged_at = now
    if to in CLOSED:
        row.closed_at = now
    elif to == Status.REOPENED:
        row.closed_at = None


def check_note(text: str | None, field: str) -> str:
    text = (text or "").strip()
    if len(text) > 4000:
        raise ValidationFailed(f"{field} is longer than 4000 characters", field=field)
    return text


def do_change_status(
    v: Vigie,
    report_id: int | str,
    agent: Agent,
    status: str,
    public_note: str = "",
    internal_note: str = "",
    reason: str = "",
) -> ReportRow:
    public_note = check_note(public_note, "public_note")
    internal_note = check_note(internal_note, "internal_note")
    reason = check_note(reason, "reason")
    if status == Status.REJECTED and not reason:
        raise ValidationFailed("a rejection needs a reason", field="reason")
    if status == Status.DUPLICATE:
        raise ValidationFailed("use merge to mark a report as a duplicate", field="status")
    permission = "reports.work" if status in (Status.IN_PROGRESS, Status.RESOLVED) else "reports.triage"

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        _set_status(row, status)
        if status == Status.REJECTED:
            row.reject_reason = reason
        note = public_note or (reason if status == Status.REJECTED else "")
        if note:
            row.status_notes = note
        return {
            "status": status,
            "_kind": "status",
            "_public_note": note,
            "_internal_note": internal_note,
        }

    return _mutate(v, report_id, agent, permission, "report.status", apply)


def do_acknowledge(v: Vigie, report_id: int | str, agent: Agent, public_note: str = "") -> ReportRow:
    return do_change_status(v, report_id, agent, Status.ACKNOWLEDGED, public_note=public_note)


def do_assign(
    v: Vigie,
    report_id: int | str,
    agent: Agent,
    team: str | None = None,
    user_id: int | None = None,
    public_note: str = "",
    internal_note: str = "",
) -> ReportRow:
    if team is None and user_id is None:
        raise ValidationFailed("give a team or an agent to assign to", field="team")
    if team is not None and team not in v.catalogue.teams:
        raise ValidationFailed(f"unknown team '{team}'", field="team")
    public_note = check_note(public_note, "public_note")
    internal_note = check_note(internal_note, "internal_note")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        if row.status in CLOSED:
            raise Conflict(f"report is {row.status}; reopen it before assigning", field="status")
        if user_id is not None:
            user = s.get(UserRow, user_id)
            if user is None or not user.active:
                raise ValidationFailed(f"no active agent with id {user_id}", field="user_id")
            row.assigned_user_id = user.id
            if team is None and user.team:
                row.team = user.team
        if team is not None:
            row.team = team
        if row.status != Status.ASSIGNED:
            _set_status(row, Status.ASSIGNED)
        if public_note:
            row.status_notes = public_note
        return {
            "team": row.team,
            "user_id": row.assigned_user_id,
            "_kind": "assign",
            "_public_note": public_note,
            "_internal_note": internal_note,
        }

    return _mutate(v, report_id, agent, "reports.triage", "report.assign", apply)


def do_requalify(
    v: Vigie, report_id: int | str, agent: Agent, service_code: str, internal_note: str = ""
) -> ReportRow:
    service = v.catalogue.service(service_code)
    if service is None:
        raise ValidationFailed(f"unknown service_code '{service_code}'", field="service_code")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        old = row.service_code
        # Attributes belong to the old service; keep those the new one also defines.
        kept = {k: val for k, val in (row.attributes or {}).items() if service.attribute(k)}
        proc = v.catalogue.resolve(service.code, row.zone, kept)
        row.service_code, row.service_group, row.public = (
            service.code,
            service.group,
            service.public,
        )
        row.attributes = kept
        row.procedure_id, row.team = proc.id, proc.team
        row.priority = (proc.priority or service.default_priority).value
        row.expected_at = expected_datetime(
            row.requested_at,
            proc.sla.hours,
            proc.sla.business_hours,
            v.city.business_hours,
            v.city.timezone,
        )
        return {
            "from": old,
            "to": service.code,
            "_kind": "requalify",
            "_internal_note": check_note(internal_note, "internal_note"),
            "_detail": {"from": old, "to": service.code},
        }

    return _mutate(v, report_id, agent, "reports.triage", "report.requalify", apply)


def do_move(
    v: Vigie, report_id: int | str, agent: Agent, lat: Any, long: Any, address: str | None = None
) -> ReportRow:
    point = check_coordinates(lat, long)
    if point is None:
        raise ValidationFailed("lat and long are required", field="lat")
    zone = v.city.zones.locate(*point)
    if zone is None:
        raise ValidationFailed(f"this location is outside {v.city.name}", field="lat")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        row.lat, row.long = point
        if address is not None:
            row.address = address.strip()[:512]
        if zone.code != row.zone:
            row.zone = zone.code
            proc = v.catalogue.resolve(row.service_code, zone.code, row.attributes or {})
            row.procedure_id, row.team = proc.id, proc.team
        return {"lat": point[0], "long": point[1], "zone": zone.code, "_kind": "move"}

    return _mutate(v, report_id, agent, "reports.triage", "report.move", apply)


def do_merge(
    v: Vigie, duplicate_id: int | str, agent: Agent, keep_id: int | str, public_note: str = ""
) -> ReportRow:
    """Mark ``duplicate_id`` as a duplicate of ``keep_id``; its followers follow the kept report."""
    keep = get_report(v, keep_id)
    dup = get_report(v, duplicate_id)
    if keep.id == dup.id:
        raise ValidationFailed("a report cannot be merged into itself", field="keep_id")
    if keep.duplicate_of_id is not None:
        raise Conflict(f"report {keep.id} is itself a duplicate of {keep.duplicate_of_id}", field="keep_id")
    public_note = check_note(public_note, "public_note") or f"Fusionné avec le signalement {keep.reference}"

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        _set_status(row, Status.DUPLICATE)
        row.duplicate_of_id = keep.id
        row.status_notes = public_note
        # Followers of the duplicate (and of reports merged into it) now follow the kept one.
        s.execute(update(FollowerRow).where(FollowerRow.report_id == row.id).values(report_id=keep.id))
        s.execute(
            update(ReportRow).where(ReportRow.duplicate_of_id == row.id).values(duplicate_of_id=keep.id)
        )
        s.add(
            FollowerRow(
                report_id=keep.id,
                token=row.token + ".m",
                email=row.reporter_email,
                lang=row.reporter_lang,
                created_at=utcnow(),
            )
        )
        return {
            "keep_id": keep.id,
            "_kind": "merge",
            "_public_note": public_note,
            "_detail": {"keep_id": str(keep.id)},
        }

    return _mutate(v, dup.id, agent, "reports.merge", "report.merge", apply, extra_event_ids=(keep.id,))


def do_follow(v: Vigie, report_id: int | str, email: str = "", lang: str = "") -> tuple[ReportRow, str]:
    """A resident follows an existing report instead of filing a duplicate."""
    row = get_report(v, report_id)
    if not row.public:
        raise NotFound(f"no report with id '{report_id}'")
    if row.status in CLOSED:
        raise Conflict(f"report {row.reference} is already {row.status}", field="id")
    if email:
        from vigie.accounts.actions import check_email

        email = check_email(email)
    token = secrets.token_urlsafe(18)
    with v.db.session(write=True) as s:
        s.add(
            FollowerRow(report_id=row.id, token=token, email=email, lang=_lang(v, lang), created_at=utcnow())
        )
        s.commit()
    return row, token


def followers_of(v: Vigie, report_id: int) -> list[FollowerRow]:
    with v.db.session() as s:
        return list(s.scalars(select(FollowerRow).where(FollowerRow.report_id == report_id)))


__all__ = [
    "Submission",
    "check_submission",
    "do_submit_report",
    "do_change_status",
    "do_acknowledge",
    "do_assign",
    "do_requalify",
    "do_move",
    "do_merge",
    "do_follow",
    "update_view",
]
