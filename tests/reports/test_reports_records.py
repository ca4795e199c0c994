"""The lean list records read the same values as the ORM rows."""

from __future__ import annotations

from vigie.reports.intake import Submission, check_submission, do_submit_report
from vigie.reports.queries import ReportFilter, list_reports
from vigie.reports.records import COLUMNS, ReportRecord
from vigie.reports.storage import ReportRow

from .helpers import DIJON


def test_reports_records_unpack_columns_in_table_order():
    values = list(range(len(COLUMNS)))
    record = ReportRecord(values)
    assert [getattr(record, name) for name in COLUMNS] == values
    assert list(COLUMNS) == [c.name for c in ReportRow.__table__.columns]


def _submit(vigie, **over):  # type: ignore[no-untyped-def]
    values = {
        "service_code": "nid-de-poule",
        "channel": "web",
        "description": "Trou profond",
        "lat": DIJON["lat"],
        "long": DIJON["long"],
        "attributes": {"danger_immediat": "non"},
        "reporter_email": "habitant@example.org",
        **over,
    }
    row, _ = do_submit_report(vigie, check_submission(vigie, Submission(**values)))
    return row.id


def test_reports_records_match_orm_rows(vigie):
    ids = [_submit(vigie), _submit(vigie, address="1 rue Monge, Dijon"), _submit(vigie, lat=None, long=None,
           address="Place Darcy, Dijon")]
    records, _ = list_reports(vigie, ReportFilter(ids=ids, public_only=False), 1, 10)
    assert sorted(r.id for r in records) == sorted(ids)
    with vigie.db.session() as s:
        for record in records:
            row = s.get(ReportRow, record.id)
            for name in COLUMNS:
                assert getattr(record, name) == getattr(row, name), name
            assert record.requested_at.tzinfo is not None
