"""Report intake (reports.intake): what lands in the database, and what does not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vigie.errors import Conflict, Forbidden
from vigie.reports import intake
from vigie.reports.actions import get_report
from vigie.reports.storage import ReportRow, ReportUpdateRow

from .helpers import submission as _sub


def test_reports_intake_row_matches_what_is_read_back(vigie) -> None:
    checked = intake.check_submission(vigie, _sub(reporter_email="a@example.org"))
    row, created = intake.do_submit_report(vigie, checked)
    assert created
    stored = get_report(vigie, row.id)
    for name in ("reference", "service_code", "status", "zone", "attributes", "token", "requested_at",
                 "expected_at", "reporter_email", "public", "team", "procedure_id"):
        assert getattr(stored, name) == getattr(row, name), name
    assert stored.reference == row.reference and row.reference.endswith(f"-{row.id:06d}")
    with vigie.db.session() as s:
        kinds = s.scalars(select(ReportUpdateRow.kind).where(ReportUpdateRow.report_id == row.id)).all()
    assert kinds == ["created"]


def test_reports_intake_same_external_id_is_a_conflict_and_writes_nothing(vigie) -> None:
    first, _ = intake.do_submit_report(vigie, intake.check_submission(vigie, _sub(external_id="X-1")))
    with pytest.raises(Conflict, match="X-1"):
        intake.do_submit_report(vigie, intake.check_submission(vigie, _sub(external_id="X-1")))
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 1
        assert s.scalar(select(func.count()).select_from(ReportUpdateRow)) == 1
    assert get_report(vigie, first.id).external_id == "X-1"


@pytest.mark.parametrize("channel", ["phone", "email"])
def test_reports_intake_on_behalf_needs_the_intake_permission(vigie, make_agent, channel) -> None:
    """The use case refuses it, whichever adapter calls it (defect 7 of issue 15)."""
    checked = intake.check_submission(vigie, _sub(channel=channel))
    with pytest.raises(Forbidden, match="reports.intake"):
        intake.do_submit_report(vigie, checked, agent=make_agent("field_agent"))
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 0
    row, created = intake.do_submit_report(vigie, checked, agent=make_agent("operator"))
    assert created and row.channel == channel
