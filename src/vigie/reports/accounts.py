"""A resident account's link to reports (issue 19 §3), in the residents context's session.

A tracking token proves its holder made a report (the report's token) or follows it
(a follower's token): that is what a device keeps in "my reports" and what the
residents context merges into an account. A report made by a signed-in resident
carries the account in ``reports.account_id`` (personal data, like the reporter's
contact: agents only, emptied by retention and erasure); deleting the account
empties it again. Nothing is committed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigie.reports.storage import FollowerRow, ReportRow

REPORTER, FOLLOWER = "report", "follow"


@dataclass(frozen=True)
class Tracked:
    """What a tracking token leads to, as its holder may see it."""

    token: str
    relation: str  # REPORTER or FOLLOWER: how the device knew the report
    report_id: int
    reference: str
    service_code: str
    status: str
    requested_at: datetime


def tracked_by(s: Session, tokens: list[str]) -> dict[str, Tracked]:
    """The reports ``tokens`` lead to (unknown tokens are absent: erased, or never were)."""
    wanted = sorted({t for t in tokens if t})
    if not wanted:
        return {}
    r = ReportRow
    out: dict[str, Tracked] = {}
    for token, rid, ref, code, status, at in s.execute(
        select(r.token, r.id, r.reference, r.service_code, r.status, r.requested_at).where(
            r.token.in_(wanted)
        )
    ):
        out[token] = Tracked(token, REPORTER, rid, ref or "", code, status, at)
    for token, rid, ref, code, status, at in s.execute(
        select(FollowerRow.token, r.id, r.reference, r.service_code, r.status, r.requested_at)
        .join(r, r.id == FollowerRow.report_id)
        .where(FollowerRow.token.in_(wanted))
    ):
        out[token] = Tracked(token, FOLLOWER, rid, ref or "", code, status, at)
    return out


def link_account(s: Session, report_ids: list[int], account: str) -> None:
    """Reports the account's holder made carry the account (those already carrying one keep it)."""
    if report_ids:
        s.execute(
            update(ReportRow)
            .where(ReportRow.id.in_(sorted(set(report_ids))), ReportRow.account_id == "")
            .values(account_id=account)
            .execution_options(synchronize_session=False)
        )


def unlink_account(s: Session, account: str) -> None:
    """The account is deleted: its reports stay for the city, without the link to the person."""
    s.execute(
        update(ReportRow)
        .where(ReportRow.account_id == account)
        .values(account_id="")
        .execution_options(synchronize_session=False)
    )


__all__ = ["FOLLOWER", "REPORTER", "Tracked", "link_account", "tracked_by", "unlink_account"]
