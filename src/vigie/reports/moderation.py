"""Operators' moderation of what the public sees of a report (FixMyStreet's moderation).

Under the city's publication policy (``city/publication.py``) a report's text
and photos may wait for an operator's check. Here an operator checks a report
(its text then shows, or the public text they wrote instead of the
resident's), and shows, hides or blurs each photo. Every change is one
history entry and one audit row (with no text in it: only what was decided),
then a ``report.updated`` event, like any agent action.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigie.accounts.domain import Agent
from vigie.city.publication import PHOTO_BLURRED, PHOTO_STATES
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.photos.processing import blur_jpeg
from vigie.reports.actions import check_note, mutate_report
from vigie.reports.domain import default_public_description
from vigie.reports.storage import PhotoRow, ReportRow
from vigie.runtime import Vigie

BLURRED_SUFFIX = "_b"  # the blurred rendition of photo ``key`` is stored as ``key_b`` (and ``key_b_t``)
THUMBNAIL_SUFFIX = "_t"


def check_public_description(text: str | None) -> str | None:
    """``None`` keeps the resident's text; a text (even empty) replaces it for the public."""
    if text is None:
        return None
    return check_note(text, "public_description")


def do_moderate(
    v: Vigie,
    report_id: int | str,
    agent: Agent,
    *,
    checked: bool,
    public_description: str | None = None,
    keep_description: bool = True,
) -> ReportRow:
    """Mark the report checked (or not) and set or clear the public text.

    ``keep_description`` leaves the public text as it is; otherwise
    ``public_description`` replaces it (``None``: the resident's own text again, its
    contact data still masked).
    """
    text = None if keep_description else check_public_description(public_description)

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        row.public_checked_at = utcnow() if checked else None
        if not keep_description:
            row.public_description = default_public_description(row.description) if text is None else text
        return {
            "checked": checked,
            "public_description": "kept" if keep_description else ("set" if text is not None else "cleared"),
            "_kind": "moderation",
        }

    return mutate_report(v, report_id, agent, "reports.moderate", "report.moderate", apply)


def do_moderate_photo(v: Vigie, report_id: int | str, key: str, agent: Agent, state: str) -> ReportRow:
    """Show, hide or blur photo ``key`` of the report for the public (agents still see it as taken)."""
    if state not in PHOTO_STATES:
        raise ValidationFailed(f"state must be one of {', '.join(PHOTO_STATES)}", field="state")

    def apply(s: Session, row: ReportRow) -> dict[str, Any]:
        photo = s.scalar(select(PhotoRow).where(PhotoRow.key == key, PhotoRow.report_id == row.id))
        if photo is None:
            raise NotFound(f"report {row.id} has no photo '{key}'")
        if state == PHOTO_BLURRED and not v.photos.exists(key + BLURRED_SUFFIX):
            # Written before the row says "blurred": a crash leaves an unused file, never a
            # blurred state without its picture.
            v.photos.put(key + BLURRED_SUFFIX, blur_jpeg(v.photos.get(key)), "image/jpeg")
            thumb = v.photos.get(key + THUMBNAIL_SUFFIX)
            v.photos.put(key + BLURRED_SUFFIX + THUMBNAIL_SUFFIX, blur_jpeg(thumb, True), "image/jpeg")
        photo.moderation = state
        return {"photo": key, "state": state, "_kind": "moderation"}

    return mutate_report(v, report_id, agent, "reports.moderate", "report.moderate_photo", apply)


__all__ = ["BLURRED_SUFFIX", "do_moderate", "do_moderate_photo"]
