"""Use cases of the reports context: reading and changing existing reports.

``check_*`` functions validate and return clean values; ``do_*`` functions
write in one transaction and publish domain events after it commits.

Here: reading a report (``get_report``, ``get_report_by_token``,
``report_updates``), agents' changes built on ``mutate_report`` and
``set_status`` (``do_change_status``, ``do_acknowledge``, ``do_assign``,
``do_requalify``, ``do_move``, ``do_merge``) and residents following a report
(``do_follow``, ``followers_of``). Creating reports (``Submission``,
``check_submission``, ``do_submit_report``, ``insert_report``) is in
``reports/intake.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.accounts.storage import UserRow
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.changes import ReportChanged, ReportFollowed
from vigie.events.domain import DomainEvent
from vigie.reports.domain import (
    CLOSED,
    Status,
    check_coordinates,
    check_transition,
    expected_datetime,
)
from vigie.reports.storage import FollowerRow, ReportRow, ReportUpdateRow
from vigie.reports.views import agent_extra, public_view
from vigie.runtime import Vigie


def resident_lang(v: Vigie, lang: str) -> str:
    """The language to write to a resident in: ``lang`` if the city offers it, else its default."""
    return lang if lang in v.city.languages else v.city.default_language


def report_event(
    v: Vigie, type_: str, row: ReportRow, extra_ids: tuple[int, ...] = (), **more: Any
) -> DomainEvent:
    """The domain event published after a report is written (``public``/``agent`` add to its views)."""
    payload = public_view(row, v.catalogue, v.city.default_language, policy=v.city.publication)
    payload.update(more.pop("public", {}))
    agent = agent_extra(row, utcnow())
    agent.update(more.pop("agent", {}))
    return DomainEvent(
        type=type_, report_ids=(row.id, *extra_ids), public=row.public, payload=payload, agent=agent
    )


# --- reading ---------------------------------------------------------------


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


def mutate_report(
    v: Vigie,
    report_id: int | str,
    agent: Agent,
    permission: str,
    action: str,
    fn: Mutation,
    *,
    extra_event_ids: tuple[int, ...] = (),
) -> ReportRow:
    """Change report ``report_id`` on behalf of ``agent``, in one transaction.

    Checks ``permission`` (and that a field agent acts only on a report assigned
    to them), then calls ``fn(session, row)``, which changes the row and returns
    the change's detail. Keys without ``_`` go to the audit row (``action``);
    ``_kind`` (default: the last part of ``action``), ``_public_note``,
    ``_internal_note``, ``_detail`` and ``_sender_hash`` fill the history entry. The history entry,
    the residents' notifications and the audit row are written in the same
    transaction; after it commits, one ``report.updated`` event is published
    (naming also the reports in ``extra_event_ids``). Returns the report as stored.
    """
    require(agent, permission)
    rid = get_report(v, report_id).id
    with v.db.session(write=True) as s:
        row = s.get(ReportRow, rid)
        if row is None:
            raise NotFound(f"no report with id '{report_id}'")
        if not agent.can("reports.all") and row.assigned_user_id != agent.id:
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
            sender_hash=detail.pop("_sender_hash", None),
            at=row.updated_at,
        )
        s.add(update_row)
        s.flush()
        # Outbox: the residents' notifications are queued in the same transaction.
        v.messages.stage(s, ReportChanged(row, update_row))
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
    v.messages.publish([report_event(v, "report.updated", row, extra_event_ids, public={"change": action})])
    return row


def set_status(row: ReportRow, target: str) -> None:
    """Move ``row`` to status ``target`` as the lifecycle allows, with its dates.

    Raises ``ValidationFailed`` for an unknown status and ``Conflict`` for a
    transition the lifecycle forbids. Sets ``acknowledged_at`` on the first
    acknowledgement and ``closed_at`` on closing (cleared on reopening). Writes
    no history: call it from the function given to ``mutate_report``.
    """
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
        set_status(row, status)
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

    return mutate_report(v, report_id, agent, permission, "report.status", apply)


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
        # Reassigning an ongoing job keeps it in progress: to the resident, a status
        # never goes backwards (issue 14 §5).
        if row.status not in (Status.ASSIGNED, Status.IN_PROGRESS):
            set_status(row, Status.ASSIGNED)
        if public_note:
            row.status_notes = public_note
        return {
            "team": row.team,
            "user_id": row.assigned_user_id,
            "_kind": "assign",
            "_public_note": public_note,
            "_internal_note": internal_note,
        }

    return mutate_report(v, report_id, agent, "reports.triage", "report.assign", apply)


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

    return mutate_report(v, report_id, agent, "reports.triage", "report.requalify", apply)


def do_move(
    v: Vigie, report_id: int | str, agent: Agent, lat: Any, long: Any, address: str | None = None
) -> ReportRow:
    point = check_coordinates(lat, long)
    if point is None:
        raise ValidationFailed("lat and long are required", field="lat")
    zone = v.city.zones.locate(*point)
    if zone is None:
        raise ValidationFailed(f"this location is outside {v.city.name}", field="lat")
    typed = (address or "").strip()[:512]
    address_id = ""
    if not typed:  # the address under the new point (looked up before the transaction)
        from vigie.addresses.placing import address_at

        near = address_at(v, *point)
        typed, address_id = (near.label, near.id) if near is not None else ("", "")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        row.lat, row.long = point
        row.address, row.address_id = typed, address_id
        if zone.code != row.zone:
            row.zone = zone.code
            proc = v.catalogue.resolve(row.service_code, zone.code, row.attributes or {})
            row.procedure_id, row.team = proc.id, proc.team
        return {"lat": point[0], "long": point[1], "zone": zone.code, "_kind": "move"}

    return mutate_report(v, report_id, agent, "reports.triage", "report.move", apply)


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
        set_status(row, Status.DUPLICATE)
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

    return mutate_report(v, dup.id, agent, "reports.merge", "report.merge", apply, extra_event_ids=(keep.id,))


# --- residents -------------------------------------------------------------


def do_add_resident_message(
    v: Vigie, report_id: int | str, text: str, channel: str, detail: dict[str, Any], sender_hash: str
) -> ReportRow:
    """A resident wrote again about their report (a reply to its e-mail): a history entry.

    The words are an internal note (agents only: people write names, numbers and
    addresses in them); the status does not change, so nobody is notified. The entry
    keeps ``sender_hash`` (the sender's address hash, notifications.consent.address_hash):
    the sender may be a follower, not the reporter, and their erasure finds it by it.
    """
    from vigie.accounts.domain import SYSTEM

    note = check_note(text, "description")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        return {
            "channel": channel,
            "_kind": "message",
            "_internal_note": note,
            "_detail": {"channel": channel, **detail},
            "_sender_hash": sender_hash or None,
        }

    return mutate_report(v, report_id, SYSTEM, "reports.triage", "report.message", apply)


def do_follow(v: Vigie, report_id: int | str, email: str = "", lang: str = "") -> tuple[ReportRow, str]:
    """A resident follows an existing report instead of filing a duplicate.

    By e-mail, the address gets a request to confirm and nothing else until it
    does (past its daily cap, nothing: see notifications.actions.on_follow).
    """
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
        follower = FollowerRow(
            report_id=row.id, token=token, email=email, lang=resident_lang(v, lang), created_at=utcnow()
        )
        s.add(follower)
        s.flush()
        if email:
            # Outbox: the request to confirm the address, in the same transaction (issue 15).
            v.messages.stage(s, ReportFollowed(row, follower))
        s.commit()
    return row, token


def followers_of(v: Vigie, report_id: int) -> list[FollowerRow]:
    with v.db.session() as s:
        return list(s.scalars(select(FollowerRow).where(FollowerRow.report_id == report_id)))


__all__ = [
    "get_report",
    "get_report_by_token",
    "report_updates",
    "report_event",
    "resident_lang",
    "Mutation",
    "mutate_report",
    "set_status",
    "check_note",
    "do_change_status",
    "do_acknowledge",
    "do_assign",
    "do_requalify",
    "do_move",
    "do_merge",
    "do_follow",
    "followers_of",
]
