"""What the reports context does when another context's change concerns a report.

Subscribed in :mod:`vigie.bootstrap`; each writes the reports' own tables only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigie.accounts.domain import SYSTEM
from vigie.events.changes import AlarmLinked
from vigie.reports.storage import ReportRow, ReportUpdateRow


def record_alarm_link(s: Session, event: AlarmLinked) -> None:
    """An alarm explains the report: a public history entry, in the alarm's transaction."""
    report = s.get(ReportRow, event.report_id)
    if report is None:
        return
    # A public history entry is a change of the report: clients polling with
    # ``updated_since`` must see it.
    report.updated_at = event.at
    lang = report.reporter_lang if report.reporter_lang in event.public_notes else "fr"
    s.add(
        ReportUpdateRow(
            report_id=report.id,
            kind="alarm_link",
            status=report.status,
            previous_status=report.status,
            actor_user_id=None,
            actor_label=SYSTEM.label,
            public_note=event.public_notes[lang],
            internal_note=event.internal_note,
            detail=dict(event.detail),
            at=event.at,
        )
    )
