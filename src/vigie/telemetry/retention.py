"""Retention: raw samples older than N days become hourly aggregates, then everything ages out.

``apply_retention(v)`` is idempotent and works an hour of data at a time, so it
can run while the ingest writes (the background service runs it every
``VIGIE_TELEMETRY_RETENTION_INTERVAL_HOURS``; ``vigie telemetry retention`` runs it by hand).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, select

from vigie.runtime import Vigie
from vigie.telemetry.schema import NUMERIC
from vigie.telemetry.storage import (
    CommandRow,
    DeadLetterRow,
    TelemetryHourlyRow,
    TelemetrySampleRow,
)

log = logging.getLogger(__name__)
HOUR_MS = 3_600_000


def _fold(
    agg: dict[tuple[str, str], dict[str, Any]], asset_id: str, ts_ms: int, data: dict[str, Any]
) -> None:
    for metric, value in data.items():
        if metric in ("ts", "x"):
            continue
        a = agg.get((asset_id, metric))
        if a is None:
            a = agg[(asset_id, metric)] = {
                "n": 0,
                "total": None,
                "min": None,
                "max": None,
                "last": None,
                "last_ts": -1,
            }
        a["n"] += 1
        if metric in NUMERIC and isinstance(value, int | float):
            x = float(value)
            a["total"] = x if a["total"] is None else a["total"] + x
            a["min"] = x if a["min"] is None else min(a["min"], x)
            a["max"] = x if a["max"] is None else max(a["max"], x)
        if ts_ms >= a["last_ts"]:
            a["last_ts"] = ts_ms
            a["last"] = (value if isinstance(value, str) else json.dumps(value))[:255]


def fold_hour(v: Vigie, hour_ms: int, end_ms: int) -> int:
    """Aggregate the raw samples of [hour_ms, end_ms) into that hour's rows; delete them."""
    S, H = TelemetrySampleRow, TelemetryHourlyRow
    agg: dict[tuple[str, str], dict[str, Any]] = {}
    n = 0
    with v.db.session(write=True) as s:
        q = select(S.asset_id, S.ts_ms, S.data).where(S.ts_ms >= hour_ms, S.ts_ms < end_ms)
        for asset_id, ts_ms, text in s.execute(q.execution_options(yield_per=10_000)):
            n += 1
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict):
                _fold(agg, asset_id, ts_ms, data)
        # Merge with rows an earlier, interrupted run may have written for this hour.
        for row in s.scalars(select(H).where(H.hour_ms == hour_ms)):
            a = agg.get((row.asset_id, row.metric))
            if a is None:
                continue
            a["n"] += row.n
            if row.total is not None:
                a["total"] = row.total + (a["total"] or 0.0)
            if row.min is not None:
                a["min"] = row.min if a["min"] is None else min(a["min"], row.min)
            if row.max is not None:
                a["max"] = row.max if a["max"] is None else max(a["max"], row.max)
            s.delete(row)
        s.flush()
        rows = [
            {
                "asset_id": asset_id,
                "hour_ms": hour_ms,
                "metric": metric[:64],
                "n": a["n"],
                "total": a["total"],
                "min": a["min"],
                "max": a["max"],
                "last": a["last"],
            }
            for (asset_id, metric), a in agg.items()
        ]
        for i in range(0, len(rows), 5000):
            s.execute(insert(H), rows[i : i + 5000])
        s.execute(delete(S).where(S.ts_ms >= hour_ms, S.ts_ms < end_ms))
        s.commit()
    return n


def oldest_sample_before(cut_ms: int) -> Select[Any]:
    """The oldest sample time before ``cut_ms``.

    Bounded by the cut so PostgreSQL's BRIN time index can skip every recent
    block range; a bare min() would read the whole table there.
    """
    return select(func.min(TelemetrySampleRow.ts_ms)).where(TelemetrySampleRow.ts_ms < cut_ms)


def apply_retention(v: Vigie, now: datetime | None = None) -> dict[str, int]:
    """Fold old raw samples into hourly aggregates and delete what is past retention."""
    st = v.settings
    now = now or datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    raw_cut = (now_ms - st.telemetry_raw_retention_days * 86_400_000) // HOUR_MS * HOUR_MS
    out = {"samples_folded": 0, "hours": 0, "hourly_deleted": 0, "dead_letters_deleted": 0}
    while True:
        with v.db.session() as s:
            oldest: int | None = s.scalar(oldest_sample_before(raw_cut))
        if oldest is None:
            break
        hour = oldest // HOUR_MS * HOUR_MS
        out["samples_folded"] += fold_hour(v, hour, min(hour + HOUR_MS, raw_cut))
        out["hours"] += 1
    hourly_cut = now_ms - st.telemetry_hourly_retention_days * 86_400_000
    old = now - timedelta(days=st.telemetry_dead_letter_retention_days)
    with v.db.session(write=True) as s:
        res = s.execute(delete(TelemetryHourlyRow).where(TelemetryHourlyRow.hour_ms < hourly_cut))
        out["hourly_deleted"] = int(res.rowcount or 0)  # type: ignore[attr-defined]
        res = s.execute(delete(DeadLetterRow).where(DeadLetterRow.received_at < old))
        out["dead_letters_deleted"] = int(res.rowcount or 0)  # type: ignore[attr-defined]
        s.execute(
            delete(CommandRow).where(
                CommandRow.created_at < old,
                CommandRow.status.in_(["acked", "failed", "expired"]),
            )
        )
        s.commit()
    if out["hours"]:
        log.info("telemetry retention: %s", out)
    return out
