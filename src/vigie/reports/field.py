"""Use cases of field agents (and the control room): resolving with photos, handing back.

They change reports, so they live in the reports context (the control room's
pages in ``pilotage`` call them). Both build on ``mutate_report`` (and
``set_status``) so that each one is a single transaction (history entry, audit
row, resident notification) followed by one ``report.updated`` event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from vigie.accounts.domain import Agent
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.photos.storage import new_photo_key
from vigie.reports.actions import check_note, get_report, mutate_report, set_status
from vigie.reports.domain import Status
from vigie.reports.storage import PhotoRow, ReportRow
from vigie.runtime import Vigie

if TYPE_CHECKING:
    from vigie.photos.processing import ProcessedPhoto

# Why a field agent cannot fix a report. The agent never rejects a report (a
# public decision with a reason for the resident, taken by an operator): the
# report goes back to the operators' queue as ``acknowledged``, unassigned,
# with the reason in an internal note. ``not_city`` tells the operator that a
# rejection is probably due.
HANDBACK_REASONS = ("not_city", "needs_other_team", "needs_equipment", "cannot_locate", "other")


def check_visible_to(v: Vigie, report_id: int | str, agent: Agent) -> ReportRow:
    """The report, or 404 when a field agent asks for one that is not theirs."""
    row = get_report(v, report_id)
    if not agent.can("reports.all") and row.assigned_user_id != agent.id:
        raise NotFound(f"no report with id '{report_id}' among your assignments")
    return row


def do_resolve_with_photos(
    v: Vigie,
    report_id: int | str,
    agent: Agent,
    photos: list[ProcessedPhoto],
    public_note: str = "",
    internal_note: str = "",
) -> ReportRow:
    """Resolve a report with photos of the fix, in one transaction.

    The photo bytes are stored first (as for a submission) and removed again
    if the transaction fails, so no row ever points to a missing file.
    """
    if not photos:
        raise ValidationFailed("a photo of the fix is required", field="photos")
    public_note = check_note(public_note, "public_note")
    internal_note = check_note(internal_note, "internal_note")
    check_visible_to(v, report_id, agent)
    keys = [new_photo_key() for _ in photos]
    now = utcnow()

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        set_status(row, Status.RESOLVED)
        if public_note:
            row.status_notes = public_note
        for key, p in zip(keys, photos, strict=True):
            s.add(
                PhotoRow(
                    report_id=row.id,
                    key=key,
                    kind="resolution",
                    content_type=p.content_type,
                    width=p.width,
                    height=p.height,
                    size=len(p.data),
                    created_at=now,
                )
            )
        return {
            "status": Status.RESOLVED.value,
            "photos": len(keys),
            "_kind": "status",
            "_public_note": public_note,
            "_internal_note": internal_note,
            "_detail": {"photos": keys},
        }

    stored: list[str] = []
    try:
        for key, p in zip(keys, photos, strict=True):
            v.photos.put(key, p.data, p.content_type)
            stored.append(key)
            v.photos.put(key + "_t", p.thumbnail, "image/jpeg")
        return mutate_report(v, report_id, agent, "reports.work", "report.status", apply)
    except BaseException:
        for key in stored:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        raise


def do_hand_back(v: Vigie, report_id: int | str, agent: Agent, reason: str, note: str = "") -> ReportRow:
    """A field agent cannot fix the report: back to the operators, unassigned."""
    if reason not in HANDBACK_REASONS:
        raise ValidationFailed(
            f"unknown reason '{reason}' (expected one of {', '.join(HANDBACK_REASONS)})",
            field="reason",
        )
    note = check_note(note, "note")
    if reason == "other" and not note:
        raise ValidationFailed("explain why the report cannot be fixed", field="note")
    row = check_visible_to(v, report_id, agent)
    if row.assigned_user_id != agent.id:
        raise Conflict("only the agent the report is assigned to can hand it back", field="id")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        if row.assigned_user_id != agent.id:
            raise Conflict("the report was reassigned meanwhile", field="id")
        if row.status == Status.IN_PROGRESS:
            set_status(row, Status.ASSIGNED)
        if row.status != Status.ACKNOWLEDGED:
            set_status(row, Status.ACKNOWLEDGED)
        row.assigned_user_id = None
        return {
            "reason": reason,
            "_kind": "handback",
            "_internal_note": note,
            "_detail": {"reason": reason, "from_user_id": agent.id},
        }

    return mutate_report(v, report_id, agent, "reports.work", "report.handback", apply)
