"""How a batch reaches the database (reports.bulk: write_columns, and the SQLite statements it cuts)."""

from __future__ import annotations

from vigie.reports.bulk import MAX_ROWS_A_STATEMENT, _chunks


def test_reports_inserts_batches_use_few_statement_sizes():
    sizes: set[int] = set()
    for count in range(0, 3001):
        chunks = _chunks(count, 250_000 // 41)
        assert sum(chunks) == count
        assert all(size <= MAX_ROWS_A_STATEMENT for size in chunks)
        sizes.update(chunks)
    # Every batch size, from 0 to 3,000 rows, in statements of nine sizes (256, 128, ..., 1).
    assert sizes == {2**i for i in range(9)}
    assert _chunks(7, 3) == [2, 2, 2, 1]  # never more rows than the parameter limit allows


def test_reports_inserts_columns_keep_json_values_equality_would_merge(vigie):
    """A JSON column is serialised once per distinct value: 1, 1.0 and True are equal in
    Python and must still be stored as themselves; a column of one value in every row
    is converted once and stored in every row."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select

    from vigie.reports.bulk import write_columns
    from vigie.reports.intake import check_submission, do_create_reports
    from vigie.reports.storage import ReportUpdateRow

    from .helpers import submission

    rid = do_create_reports(vigie, check_submission(vigie, submission())).ids[0]
    details = [{"n": 1}, {"n": True}, {"n": 1.0}, {"n": 1}, {"n": [1, True]}, None]
    paris = timezone(timedelta(hours=1))
    at = datetime(2024, 3, 1, 13, 0, tzinfo=paris)  # the same instant in every row
    table = ReportUpdateRow.__table__
    names = ["report_id", "kind", "status", "actor_label", "public_note", "internal_note", "detail", "at"]
    n = len(details)
    with vigie.db.engine.begin() as conn:
        columns = [[rid] * n, ["test"] * n, ["new"] * n, ["t"] * n, [""] * n, [""] * n, details, [at] * n]
        write_columns(conn, table, names, columns)  # type: ignore[arg-type]
    with vigie.db.session() as s:
        rows = s.execute(
            select(ReportUpdateRow.detail, ReportUpdateRow.at)
            .where(ReportUpdateRow.report_id == rid, ReportUpdateRow.kind == "test")
            .order_by(ReportUpdateRow.id)
        ).all()
    stored = [d for d, _ in rows]
    assert stored == details
    assert [type(d["n"]) for d in stored[:4]] == [int, bool, float, int]
    assert stored[4] == {"n": [1, True]} and type(stored[4]["n"][1]) is bool
    assert {a for _, a in rows} == {datetime(2024, 3, 1, 12, 0, tzinfo=UTC)}


def test_reports_inserts_reference_year_is_the_citys_at_new_year(vigie):
    """A reference carries the year of its request in the city's time zone: a report made
    on 31 December at 23:30 UTC is of the next year in Dijon (UTC+1), one on 1 January at
    00:30 Dijon time too; dates of the rest of the year keep their own year. The same in a
    batch and for one report."""
    from datetime import UTC, datetime

    from vigie.reports.intake import check_submissions, do_create_reports
    from vigie.reports.lookups import reports_in

    from .helpers import submission

    def made(requested: list[datetime], prefix: str) -> list[str]:
        subs = [
            submission(channel="import", requested_at=at, external_id=f"{prefix}{i}")
            for i, at in enumerate(requested)
        ]
        checked = check_submissions(vigie, subs)
        assert all(not isinstance(c, Exception) for c in checked), checked
        ids = []
        for part in [checked] if len(checked) > 1 else [[c] for c in checked]:
            ids += do_create_reports(vigie, part, history=True).ids  # type: ignore[arg-type]
        with vigie.db.session() as s:
            by_id = {r.id: r.reference for r in reports_in(s, ids)}
        return [by_id[i].split("-")[1] for i in ids]

    requested = [
        datetime(2024, 12, 31, 23, 30, tzinfo=UTC),  # 1 January 2025, 00:30 in Dijon
        datetime(2024, 12, 31, 22, 30, tzinfo=UTC),  # 23:30 in Dijon
        datetime(2024, 6, 30, 23, 30, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 30, tzinfo=UTC),
    ]
    assert made(requested, "batch-") == ["2025", "2024", "2024", "2025"]
    assert made(requested[:1], "one-") == ["2025"]
