"""The partial indexes of columns most reports leave empty (migration 0038) serve their queries."""

from __future__ import annotations

from sqlalchemy import event, select, update

from tests.db.helpers import explain
from vigie.reports.erasure import erase_reporter
from vigie.reports.storage import ReportRow


def _plan(vigie, statement: str, params) -> str:
    return explain(vigie.db.engine, statement, params)


def _compiled_plan(vigie, stmt) -> str:
    with vigie.db.engine.connect() as conn:
        compiled = stmt.compile(dialect=conn.dialect)
        params = compiled.params
        if vigie.db.dialect == "sqlite":
            values = tuple(params[name] for name in compiled.positiontup)
            return _plan(vigie, str(compiled), values)
        return _plan(vigie, str(compiled), params)


def test_db_sparse_indexes_serve_a_duplicate_and_an_assignee(vigie):
    R = ReportRow
    plan = _compiled_plan(vigie, update(R).where(R.duplicate_of_id == 5).values(duplicate_of_id=3))
    assert "ix_reports_duplicate_of" in plan, plan
    plan = _compiled_plan(vigie, select(R.id).where(R.assigned_user_id == 7))
    assert "ix_reports_assigned_user" in plan, plan


def test_db_sparse_indexes_serve_the_erasure_of_an_address(vigie):
    captured: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if statement.lstrip().upper().startswith("SELECT") and "reporter_email" in statement:
            captured.append((statement, parameters))

    event.listen(vigie.db.engine, "before_cursor_execute", grab)
    try:
        with vigie.db.session() as s:
            erase_reporter(s, "Someone@Example.org", vigie.catalogue)
            s.rollback()
    finally:
        event.remove(vigie.db.engine, "before_cursor_execute", grab)
    statement, params = captured[0]
    assert "ix_reports_reporter_email" in _plan(vigie, statement, params)
