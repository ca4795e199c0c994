"""Retention in the reports context: residents' contact data does not outlive its use.

A reporter's name, e-mail, phone, device and account ids, and followers' e-mail
addresses, serve to tell them how their report goes; once the report has been
closed for ``VIGIE_RETENTION_CONTACT_DAYS`` they are emptied (the report itself,
its category, place, status and history stay). Set-based: one UPDATE and one
UPDATE of followers per run, whatever the number of reports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from vigie.db import utcnow
from vigie.reports.storage import FollowerRow, ReportRow
from vigie.runtime import Vigie


def do_expire_contacts(v: Vigie, days: int) -> dict[str, int]:
    """Empty the contact data of reports closed more than ``days`` ago; counts of what changed."""
    if days <= 0:
        return {"reports": 0, "follows": 0}
    cutoff = utcnow() - timedelta(days=days)
    r = ReportRow
    closed = select(r.id).where(r.closed_at.is_not(None), r.closed_at < cutoff)
    with v.db.session(write=True) as s:
        reports = _rowcount(
            s.execute(
                update(r)
                .where(
                    r.closed_at.is_not(None),
                    r.closed_at < cutoff,
                    or_(
                        r.reporter_name != "",
                        r.reporter_email != "",
                        r.reporter_phone != "",
                        r.device_id != "",
                        r.account_id != "",
                    ),
                )
                .values(reporter_name="", reporter_email="", reporter_phone="", device_id="", account_id="")
                .execution_options(synchronize_session=False)
            )
        )
        follows = _rowcount(
            s.execute(
                update(FollowerRow)
                .where(FollowerRow.report_id.in_(closed), FollowerRow.email != "")
                .values(email="")
                .execution_options(synchronize_session=False)
            )
        )
        s.commit()
    return {"reports": reports, "follows": follows}


def _rowcount(result: Any) -> int:
    return max(cast(CursorResult[Any], result).rowcount, 0)
