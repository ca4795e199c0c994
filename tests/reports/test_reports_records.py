"""The lean list records read the same values as the ORM rows."""

from __future__ import annotations

from vigie.reports.queries import ReportFilter, list_reports
from vigie.reports.records import COLUMNS, ReportRecord
from vigie.reports.storage import ReportRow

from .helpers import submit_report


def test_reports_records_unpack_columns_in_table_order():
    values = list(range(len(COLUMNS)))
    record = ReportRecord(values)
    assert [getattr(record, name) for name in COLUMNS] == values
    assert list(COLUMNS) == [c.name for c in ReportRow.__table__.columns]


def test_reports_records_match_orm_rows(vigie):
    ids = [
        submit_report(vigie),
        submit_report(vigie, address="1 rue Monge, Dijon"),
        submit_report(vigie, lat=None, long=None, address="Place Darcy, Dijon"),
    ]
    records, _ = list_reports(vigie, ReportFilter(ids=ids, public_only=False), 1, 10)
    assert sorted(r.id for r in records) == sorted(ids)
    with vigie.db.session() as s:
        for record in records:
            row = s.get(ReportRow, record.id)
            for name in COLUMNS:
                assert getattr(record, name) == getattr(row, name), name
            assert record.requested_at.tzinfo is not None
