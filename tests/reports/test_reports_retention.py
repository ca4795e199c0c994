"""Retention of residents' contact data: emptied a while after the report closed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.reports.helpers import submit_report
from vigie.db import utcnow
from vigie.reports.actions import do_follow
from vigie.reports.storage import FollowerRow, ReportRow
from vigie.retention import run_retention


def test_reports_retention_empties_contacts_of_reports_closed_long_ago(vigie):
    old = submit_report(vigie, reporter_name="Camille Durand", reporter_phone="0612345678")
    recent = submit_report(vigie, reporter_name="Dominique Martin")
    open_one = submit_report(vigie)
    do_follow(vigie, old, "voisin@example.org")
    with vigie.db.session(write=True) as s:
        s.execute(
            update(ReportRow).where(ReportRow.id == old).values(closed_at=utcnow() - timedelta(days=400))
        )
        s.execute(
            update(ReportRow).where(ReportRow.id == recent).values(closed_at=utcnow() - timedelta(days=3))
        )
        s.commit()

    done = run_retention(vigie)

    assert done["reporter_contacts"] == {"reports": 1, "follows": 1}
    with vigie.db.session() as s:
        rows = {r.id: r for r in s.scalars(select(ReportRow))}
        assert (rows[old].reporter_name, rows[old].reporter_email, rows[old].reporter_phone) == ("", "", "")
        assert rows[old].service_code == "nid-de-poule"  # the report itself stays
        assert rows[recent].reporter_name == "Dominique Martin"
        assert rows[open_one].reporter_email == "habitant@example.org"
        assert s.scalar(select(FollowerRow.email).where(FollowerRow.report_id == old)) == ""
