"""Read side of telemetry: latest state, history, downsampled series, dead letters, status.

``latest_state`` and ``history`` are what the asset page (assets context) calls.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Text, cast, func, select

from vigie.db import age_seconds_sql, plain_rows
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie
from vigie.telemetry.schema import NUMERIC, iso
from vigie.telemetry.storage import (
    DeadLetterRow,
    TelemetryHourlyRow,
    TelemetryLatestRow,
    TelemetrySampleRow,
)

HOUR_MS = 3_600_000
MAX_POINTS = 2000
MAX_RAW_ROWS = 200_000
STEPS = {"raw": 0, "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}


def _iso(d: datetime | None) -> str | None:
    return d.astimezone(UTC).isoformat().replace("+00:00", "Z") if d else None


def latest_values(v: Vigie) -> Mapping[str, tuple[float, dict[str, Any]]]:
    """asset id -> (when its latest message arrived, epoch ms; latest values): from the
    ingest's memory when it runs in this process (up to date), else from its copy in the
    database (as old as the ingest's copy interval, 10 s by default)."""
    pipeline = v.ingest.pipeline
    if pipeline is not None:
        return pipeline.latest_snapshot()
    L = TelemetryLatestRow
    with v.db.session() as s:
        rows = plain_rows(s, select(L.asset_id, age_seconds_sql(s, L.received_at), cast(L.data, Text)))
    now_ms = time.time() * 1000
    return {a: (now_ms - float(age or 0.0) * 1000, orjson.loads(d) if d else {}) for a, age, d in rows}


def latest_state(v: Vigie, asset_id: str) -> dict[str, Any] | None:
    """Latest value of each measurement of an asset, or None if it never reported.

    ``{"asset_id", "ts", "received_at", "values": {...}}``; from memory in the
    ingest process, else from the database copy (at most a few seconds old).
    """
    pipeline = v.ingest.pipeline
    if pipeline is not None:
        got = pipeline.latest_values(asset_id)
        if got is not None:
            ts, received, values = got
            return {"asset_id": asset_id, "ts": _iso(ts), "received_at": _iso(received), "values": values}
    with v.db.session() as s:
        row = s.get(TelemetryLatestRow, asset_id)
    if row is None:
        return None
    return {
        "asset_id": asset_id,
        "ts": _iso(row.ts),
        "received_at": _iso(row.received_at),
        "values": dict(row.data or {}),
    }


def history(v: Vigie, asset_id: str, since: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest ``limit`` raw samples of an asset (after ``since``), oldest first."""
    limit = max(1, min(limit, 10_000))
    S = TelemetrySampleRow
    q = select(S.ts_ms, S.data).where(S.asset_id == asset_id)
    if since is not None:
        q = q.where(S.ts_ms >= int(since.timestamp() * 1000))
    with v.db.session() as s:
        rows = list(s.execute(q.order_by(S.ts_ms.desc()).limit(limit)))
    out = []
    for ts_ms, text in reversed(rows):
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        data.pop("ts", None)
        out.append({"ts": iso(ts_ms), **data})
    return out


def parse_step(step: str | None, start_ms: int, end_ms: int) -> int:
    """Bucket width in seconds: a named step, a number of seconds, or auto (≤ 500 points)."""
    if step in (None, "", "auto"):
        span = max(end_ms - start_ms, 1000) / 1000
        for width in (0, 60, 300, 900, 3600, 21600, 86400):
            if width and span / width <= 500:
                return width
        return 86400
    if step in STEPS:
        return STEPS[step]
    try:
        width = int(step)
    except ValueError:
        raise ValidationFailed(
            f"step is auto, {', '.join(STEPS)} or a number of seconds", field="step"
        ) from None
    if not 0 <= width <= 31 * 86400:
        raise ValidationFailed("step is between 0 (raw) and 31 days", field="step")
    return width


def series(
    v: Vigie,
    asset_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    step: str | None = None,
    metrics: list[str] | None = None,
) -> dict[str, Any]:
    """Time series for charts, in columns: ``t`` (epoch seconds) and per metric avg/min/max/last.

    Raw samples where they are kept, hourly aggregates before that.
    """
    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=1)
    if start >= end:
        raise ValidationFailed("start must be before end", field="start")
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    width = parse_step(step, start_ms, end_ms)
    want = set(metrics or [])
    S, H = TelemetrySampleRow, TelemetryHourlyRow
    with v.db.session() as s:
        raw = list(
            s.execute(
                select(S.ts_ms, S.data)
                .where(S.asset_id == asset_id, S.ts_ms >= start_ms, S.ts_ms <= end_ms)
                .order_by(S.ts_ms)
                .limit(MAX_RAW_ROWS)
            )
        )
        first_raw = raw[0][0] if raw else end_ms + 1
        hourly = list(
            s.scalars(
                select(H)
                .where(H.asset_id == asset_id, H.hour_ms >= start_ms - HOUR_MS, H.hour_ms < first_raw)
                .order_by(H.hour_ms)
            )
        )
    if hourly and width and width < 3600:
        width = 3600  # older data exists only per hour
    # bucket -> metric -> [n, total, min, max, last]
    buckets: dict[int, dict[str, list[Any]]] = {}

    def add(t_ms: int, metric: str, n: int, total: float | None, lo: Any, hi: Any, last: Any) -> None:
        if want and metric not in want:
            return
        key = t_ms if width == 0 else t_ms // (width * 1000) * width * 1000
        cell = buckets.setdefault(key, {}).get(metric)
        if cell is None:
            buckets[key][metric] = [n, total, lo, hi, last]
            return
        cell[0] += n
        if total is not None:
            cell[1] = total if cell[1] is None else cell[1] + total
            cell[2] = lo if cell[2] is None else min(cell[2], lo)
            cell[3] = hi if cell[3] is None else max(cell[3], hi)
        cell[4] = last

    for h in hourly:
        last: Any = h.last
        if h.metric in NUMERIC and h.last is not None:
            with contextlib.suppress(ValueError):
                last = json.loads(h.last)
        add(h.hour_ms, h.metric, h.n, h.total, h.min, h.max, last)
    for ts_ms, text in raw:
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for metric, value in data.items():
            if metric in ("ts", "x"):
                continue
            if metric in NUMERIC and isinstance(value, int | float):
                x = float(value)
                add(ts_ms, metric, 1, x, x, x, value)
            else:
                add(ts_ms, metric, 1, None, None, None, value)
    keys = sorted(buckets)[-MAX_POINTS:]
    names = sorted({m for k in keys for m in buckets[k]})
    columns: dict[str, dict[str, list[Any]]] = {}
    for m in names:
        numeric = m in NUMERIC
        col: dict[str, list[Any]] = (
            {"avg": [], "min": [], "max": [], "n": []} if numeric else {"last": [], "n": []}
        )
        for k in keys:
            cell = buckets[k].get(m)
            if cell is None:
                for lst in col.values():
                    lst.append(None)
                continue
            col["n"].append(cell[0])
            if numeric:
                col["avg"].append(round(cell[1] / cell[0], 4) if cell[1] is not None else None)
                col["min"].append(cell[2])
                col["max"].append(cell[3])
            else:
                col["last"].append(cell[4])
        columns[m] = col
    return {
        "asset_id": asset_id,
        "start": _iso(start),
        "end": _iso(end),
        "step_seconds": width,
        "t": [k / 1000 for k in keys],
        "metrics": columns,
        "truncated": len(raw) >= MAX_RAW_ROWS,
    }


def dead_letters(
    v: Vigie, reason: str = "", asset_id: str = "", limit: int = 100, before_id: int | None = None
) -> dict[str, Any]:
    D = DeadLetterRow
    q = select(D).order_by(D.id.desc()).limit(max(1, min(limit, 1000)))
    if reason:
        q = q.where(D.reason == reason)
    if asset_id:
        q = q.where(D.asset_id == asset_id)
    if before_id:
        q = q.where(D.id < before_id)
    with v.db.session() as s:
        rows = list(s.scalars(q))
        counts = dict(s.execute(select(D.reason, func.count()).group_by(D.reason)).all())
    pipeline = v.ingest.pipeline
    return {
        "items": [
            {
                "id": r.id,
                "received_at": _iso(r.received_at),
                "topic": r.topic,
                "asset_id": r.asset_id,
                "reason": r.reason,
                "detail": r.detail,
                "payload": r.payload,
            }
            for r in rows
        ],
        "stored_by_reason": {k: int(n) for k, n in counts.items()},
        "counted_since_start": (pipeline.snapshot()["dead_letter_reasons"] if pipeline is not None else None),
    }


def ingest_status(v: Vigie) -> dict[str, Any]:
    pipeline, source = v.ingest.pipeline, v.ingest.source
    return {
        "ingest_here": pipeline is not None,
        "pipeline": pipeline.snapshot() if pipeline is not None else None,
        "source": source.status() if source is not None else None,
        "partitions": v.ingest.status() if v.ingest.status is not None else None,
    }
