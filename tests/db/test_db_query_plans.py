"""Spatial and time filters use indexes on both backends (shown by the query plan)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from tests.db.helpers import explain
from vigie.open311.rendered import request_items
from vigie.open311.views import Ctx
from vigie.reports.queries import ReportFilter, list_reports


def _captured_plan(vigie, f: ReportFilter, run=None, containing: str = "") -> str:
    """The plan of the first report query (holding ``containing``) that ``run(vigie, f)`` (by
    default a list page) sends."""
    captured: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if (
            statement.lstrip().upper().startswith("SELECT")
            and "FROM reports" in statement
            and containing in statement
        ):
            captured.append((statement, parameters))

    engine = vigie.db.engine
    engines = {engine, vigie.db.one_statement_engine}  # the public list pages use the latter
    for e in engines:
        event.listen(e, "before_cursor_execute", grab)
    try:
        (run or (lambda v, f: list_reports(v, f, 1, 100)))(vigie, f)
    finally:
        for e in engines:
            event.remove(e, "before_cursor_execute", grab)
    statement, params = captured[0]
    return explain(engine, statement, params)


# Open statuses have two indexes in request order: every status's, and the open reports' own
# (partial, migration 0017). On empty tables either may be cheapest, depending on the
# statistics the tests before left behind.
STATUS_INDEXES = ("ix_reports_status_requested_at", "ix_reports_open_requested")


def _uses_status_index(plan: str) -> bool:
    return any(index in plan for index in STATUS_INDEXES)


def test_db_bbox_filter_uses_spatial_index(vigie):
    plan = _captured_plan(vigie, ReportFilter(bbox=(5.0, 47.3, 5.1, 47.35), statuses=["new"]))
    assert "ix_reports_lat_long" in plan or _uses_status_index(plan), plan
    plan = _captured_plan(vigie, ReportFilter(near=(47.32, 5.04, 200), public_only=False))
    assert "ix_reports_lat_long" in plan, plan


def test_db_status_and_date_filter_uses_index(vigie):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plan = _captured_plan(
        vigie, ReportFilter(statuses=["new", "acknowledged"], start=start, public_only=False)
    )
    assert _uses_status_index(plan), plan
    plan = _captured_plan(vigie, ReportFilter(start=start, public_only=False))
    assert "ix_reports_requested_at" in plan, plan


def test_db_status_walks_merge_in_index_order(vigie):
    """Each status is walked in the list's order, so the walks merge without sorting."""
    f = ReportFilter(statuses=["new", "acknowledged", "assigned"], bbox=(5.0, 47.3, 5.1, 47.35))
    plan = _captured_plan(vigie, f)
    if vigie.db.dialect == "postgresql":
        assert plan.count("Merge Append") == 1, plan
        assert sum(plan.count(f"Scan Backward using {index}") for index in STATUS_INDEXES) == 3, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan
        return
    assert plan.count("MERGE (UNION ALL)") == 2, plan
    assert plan.count("COVERING INDEX ix_reports_status_requested_at") == 3, plan
    # Only the page itself (101 rows joined back by id) is put in order, not each walk.
    assert plan.count("TEMP B-TREE") <= 1, plan


def test_db_postgres_plans_for_the_values_at_hand(vigie):
    """PostgreSQL: prepared list statements are planned for each call's values, never generically."""
    if vigie.db.dialect != "postgresql":
        return
    with vigie.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_db_open311_media_fallback_uses_partial_index(vigie):
    """A report without photos looks its creation media up in the partial index (migration 0009)."""
    f = ReportFilter(statuses=["new", "acknowledged"])
    plan = _captured_plan(vigie, f, lambda v, f: request_items(Ctx(v, "fr"), f, 1, 100))
    assert "ix_report_updates_created_media" in plan, plan


def test_db_queue_word_search_reads_the_text_index(vigie):
    from vigie.db import utcnow
    from vigie.pilotage.queue import QueueQuery, count_statement

    def search(v, _f):
        # The index's form (SQLite reads rows first for a few ms: reports.search.bounded_scan_first).
        with v.db.engine.connect() as conn:
            conn.execute(count_statement(QueueQuery(status="all", text="lampadaire"), utcnow(), scan=False))

    sqlite = vigie.db.dialect == "sqlite"
    plan = _captured_plan(vigie, ReportFilter(), run=search, containing="MATCH" if sqlite else "ILIKE")
    if sqlite:
        assert "VIRTUAL TABLE INDEX" in plan and "reports_search" in plan, plan
    else:
        assert "ix_reports_description_trgm" in plan and "ix_reports_address_trgm" in plan, plan
