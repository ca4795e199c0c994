"""What other contexts read of reports, in their own session.

The reports' tables are written by this context only; the alarms and the
notifications read them through these functions rather than querying
``reports.storage`` themselves (an import-linter contract holds them to it).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from vigie.reports.domain import CLOSED, Status
from vigie.reports.storage import FollowerRow, ReportRow, ReportUpdateRow

CLOSED_VALUES = [s.value for s in CLOSED]


# Which of some external ids are taken, the ids in one bound value whatever their number: an
# import asks for each batch of 2,000, and an IN list of 2,000 parameters cost the import's
# interpreter about 10 % of its time (rendered and bound one by one).
_TAKEN_EXTERNAL_IDS = {
    "postgresql": text("SELECT external_id FROM reports WHERE external_id = ANY(:ids)"),
    "sqlite": text(
        "SELECT external_id FROM reports WHERE external_id IN (SELECT value FROM json_each(:ids))"
    ),
}


def taken_external_ids(s: Session, external_ids: Collection[str]) -> set[str]:
    """Those of ``external_ids`` that a report has already."""
    if not external_ids:
        return set()
    dialect = s.get_bind().dialect.name
    ids = list(external_ids)
    if dialect not in _TAKEN_EXTERNAL_IDS:  # any other database: the portable IN list
        return set(s.scalars(select(ReportRow.external_id).where(ReportRow.external_id.in_(ids))))
    bound: Any = ids if dialect == "postgresql" else json.dumps(ids)
    return set(s.scalars(_TAKEN_EXTERNAL_IDS[dialect], {"ids": bound}))


def report_in(s: Session, report_id: int) -> ReportRow | None:
    return s.get(ReportRow, report_id)


def reports_in(s: Session, report_ids: Iterable[int]) -> list[ReportRow]:
    ids = sorted(set(report_ids))
    if not ids:
        return []
    return list(s.scalars(select(ReportRow).where(ReportRow.id.in_(ids))))


def open_reports_in_box(
    s: Session,
    box: tuple[float, float, float, float],
    services: Iterable[str],
    groups: Iterable[str],
    limit: int = 500,
) -> list[ReportRow]:
    """Open reports (not merged) of these services or groups inside (lat0, lat1, long0, long1)."""
    lat0, lat1, long0, long1 = box
    R = ReportRow
    q = (
        select(R)
        .where(
            R.lat.between(lat0, lat1),
            R.long.between(long0, long1),
            R.status.not_in(CLOSED_VALUES),
            R.duplicate_of_id.is_(None),
            or_(R.service_code.in_(sorted(services)), R.service_group.in_(sorted(groups))),
        )
        .limit(limit)
    )
    return list(s.scalars(q))


def statuses_before(s: Session, report_id: int, update_id: int) -> Iterable[str]:
    """The statuses of the report's history entries before ``update_id``, newest first."""
    U = ReportUpdateRow
    return s.scalars(select(U.status).where(U.report_id == report_id, U.id < update_id).order_by(U.id.desc()))


def followers_with_email(s: Session, report_id: int) -> list[FollowerRow]:
    """The report's followers who left an e-mail address, in the order they followed."""
    return list(
        s.scalars(
            select(FollowerRow)
            .where(FollowerRow.report_id == report_id, FollowerRow.email != "")
            .order_by(FollowerRow.id)
        )
    )


def chosen_services(s: Session, limit: int) -> list[tuple[int, str, str]]:
    """(id, description, service) of the newest reports an operator dealt with.

    A report past ``new`` carries the service the control room finally kept (a
    requalification changes it): the history that service suggestion learns from.
    """
    rows = s.execute(
        select(ReportRow.id, ReportRow.description, ReportRow.service_code)
        .where(ReportRow.status != "new", ReportRow.description != "")
        .order_by(ReportRow.id.desc())
        .limit(limit)
    )
    return [(int(i), str(d), str(c)) for i, d, c in rows]


def reporter_of_reference(s: Session, reference: str) -> tuple[int, str] | None:
    """(id, reporter's e-mail) of the report with this reference."""
    found = s.execute(
        select(ReportRow.id, ReportRow.reporter_email).where(ReportRow.reference == reference)
    ).first()
    return (int(found[0]), str(found[1] or "")) if found else None


OPEN_VALUES = [s.value for s in Status if s not in CLOSED]


def open_counts(s: Session) -> dict[str, int]:
    """Reports not closed, by status (every open status, zeros included): the metrics' queue."""
    query = select(ReportRow.status, func.count()).where(ReportRow.status.in_(OPEN_VALUES))
    # Not dict(result): a Result has keys() (its columns), which dict() would take for a mapping's.
    found = {status: n for status, n in s.execute(query.group_by(ReportRow.status))}
    return {status: int(found.get(status, 0)) for status in OPEN_VALUES}
