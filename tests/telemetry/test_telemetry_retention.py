"""Retention: old raw samples become hourly aggregates that the series still reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from vigie.telemetry.queries import series
from vigie.telemetry.retention import apply_retention
from vigie.telemetry.storage import DeadLetterRow, TelemetryHourlyRow, TelemetrySampleRow

from .helpers import add_asset


def count(v, table):  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_retention_folds_old_samples_into_hourly_aggregates(vigie, make_pipeline):
    add_asset(vigie, "SL-00001")
    p = make_pipeline()
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    old = now - timedelta(days=10)  # older than the 7 days of raw retention
    for i in range(120):  # two hours, one message a minute
        t = (old + timedelta(minutes=i)).isoformat()
        p.ingest(
            "SL-00001",
            json.dumps(
                {"ts": t, "powerConsumption": float(i % 60), "status": "ok", "powerState": "on"}
            ).encode(),
        )
    recent = (now - timedelta(days=1)).isoformat()
    p.ingest("SL-00001", json.dumps({"ts": recent, "powerConsumption": 5.0}).encode())
    p.flush()
    out = apply_retention(vigie, now)
    assert out["samples_folded"] == 120 and out["hours"] == 2
    assert count(vigie, TelemetrySampleRow) == 1
    with vigie.db.session() as s:
        rows = list(
            s.scalars(
                select(TelemetryHourlyRow)
                .where(TelemetryHourlyRow.metric == "powerConsumption")
                .order_by(TelemetryHourlyRow.hour_ms)
            )
        )
    assert [(r.n, r.min, r.max, r.total) for r in rows] == [(60, 0.0, 59.0, 1770.0)] * 2
    assert apply_retention(vigie, now)["samples_folded"] == 0  # idempotent
    s = series(vigie, "SL-00001", old - timedelta(hours=1), now, "1h")
    pc = s["metrics"]["powerConsumption"]
    assert pc["avg"][:2] == [29.5, 29.5] and pc["n"][-1] == 1 and s["metrics"]["status"]["last"][0] == "ok"
    # Hourly aggregates and dead letters age out too.
    with vigie.db.session(write=True) as s2:
        s2.add(DeadLetterRow(received_at=now - timedelta(days=40), topic="t", reason="schema"))
        s2.commit()
    later = apply_retention(vigie, now + timedelta(days=500))
    assert later["hourly_deleted"] >= 2 and later["dead_letters_deleted"] == 1
    assert count(vigie, TelemetryHourlyRow) == 0


def test_retention_finds_old_samples_through_the_time_index(vigie):
    """The probe for samples past the cut reads the ts_ms index (BRIN on PostgreSQL), not the table."""
    from sqlalchemy import text

    from vigie.telemetry.retention import oldest_sample_before

    engine = vigie.db.write_engine
    t0 = 1_760_000_000_000
    rows = [{"a": f"SL-{i % 500}", "t": t0 + i * 1000, "d": "{}"} for i in range(20_000)]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO telemetry_samples (asset_id, ts_ms, data) VALUES (:a, :t, :d)"), rows)
        conn.execute(text("ANALYZE telemetry_samples" if engine.dialect.name == "postgresql" else "ANALYZE"))
    stmt = oldest_sample_before(t0 + 600_000)
    with vigie.db.session() as s:
        assert s.scalar(stmt) == t0
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        if engine.dialect.name == "postgresql":
            # 20,000 rows fit in a few pages, cheaper to scan: show what the planner can use.
            conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(prefix + sql))
    assert "ix_telemetry_samples_ts" in plan, plan
