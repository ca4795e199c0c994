"""Notifications to residents (placeholder: the notifications context fills this in).

Called by the reports use cases *inside* their transaction, so a queued message
commits or rolls back with the change that caused it (outbox pattern).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vigie.reports.storage import ReportRow, ReportUpdateRow
    from vigie.runtime import Vigie


def on_report_created(v: Vigie, s: Session, row: ReportRow) -> None:
    """Queue the acknowledgement of a new report, if its procedure says so."""


def on_report_update(v: Vigie, s: Session, row: ReportRow, update: ReportUpdateRow) -> None:
    """Queue the messages a report change announces to its reporter and followers."""
