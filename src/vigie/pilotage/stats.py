"""Supervisor statistics, computed with SQL aggregates that run on SQLite and PostgreSQL.

* Counts are ``GROUP BY`` queries.
* A median is a ``COUNT`` then one ordered ``LIMIT``/``OFFSET`` query on the
  durations (no ``percentile_cont``, which SQLite lacks).
* Reports per day are counted per UTC hour in SQL, then folded into the
  city's local days in Python, so days follow the city's time zone (and its
  daylight saving changes) on both backends.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, func, select
from sqlalchemy.orm import Session

from vigie.db import utcnow
from vigie.reports.domain import CLOSED, Status
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie

R = ReportRow
CLOSED_VALUES = sorted(s.value for s in CLOSED)


def _seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        expr: ColumnElement[float] = (func.julianday(later) - func.julianday(earlier)) * 86400.0
        return expr
    return func.extract("epoch", later - earlier).cast(Float)


def _hour_bucket(dialect: str, column: Any) -> ColumnElement[str]:
    if dialect == "sqlite":  # stored as naive UTC text
        expr: ColumnElement[str] = func.strftime("%Y-%m-%d %H", column)
        return expr
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


def _median(s: Session, duration: ColumnElement[float], *conds: Any) -> float | None:
    n = s.scalar(select(func.count()).select_from(R).where(*conds)) or 0
    if n == 0:
        return None
    q = select(duration).where(*conds).order_by(duration)
    if n % 2:
        value = s.scalar(q.offset((n - 1) // 2).limit(1))
        return round(float(value), 1) if value is not None else None
    pair = [float(x) for x in s.scalars(q.offset(n // 2 - 1).limit(2))]
    return round(sum(pair) / len(pair), 1) if pair else None


def _per_local_day(rows: Any, tz: Any) -> dict[str, int]:
    out: Counter[str] = Counter()
    for bucket, count in rows:
        hour = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
        out[hour.astimezone(tz).date().isoformat()] += int(count)
    return dict(out)


def _ranked(rows: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """Largest count first, then by name."""
    return [{"code": c, "name": name, "count": n} for c, name, n in sorted(rows, key=lambda r: (-r[2], r[1]))]


def compute_stats(v: Vigie, days: int = 90, now: datetime | None = None, lang: str = "") -> dict[str, Any]:
    """Open reports by group and commune, SLA, medians and reports per day over ``days``."""
    now = now or utcnow()
    tz = v.city.timezone
    dialect = v.db.dialect
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
    is_open = R.status.not_in(CLOSED_VALUES)
    with v.db.session() as s:
        by_group = s.execute(
            select(R.service_group, func.count()).where(is_open).group_by(R.service_group)
        ).all()
        by_zone = s.execute(select(R.zone, func.count()).where(is_open).group_by(R.zone)).all()
        overdue = s.scalar(select(func.count()).select_from(R).where(is_open, R.expected_at < now))
        due_soon = s.scalar(
            select(func.count())
            .select_from(R)
            .where(is_open, R.expected_at >= now, R.expected_at <= now + timedelta(hours=24))
        )
        ack = _median(
            s,
            _seconds_between(dialect, R.acknowledged_at, R.requested_at),
            R.acknowledged_at.is_not(None),
            R.requested_at >= start,
        )
        resolve = _median(
            s,
            _seconds_between(dialect, R.closed_at, R.requested_at),
            R.status == Status.RESOLVED.value,
            R.closed_at.is_not(None),
            R.requested_at >= start,
        )
        created_bucket = _hour_bucket(dialect, R.requested_at)
        created = s.execute(
            select(created_bucket, func.count())
            .where(R.requested_at >= start, R.requested_at <= now)
            .group_by(created_bucket)
        ).all()
        resolved_bucket = _hour_bucket(dialect, R.closed_at)
        resolved = s.execute(
            select(resolved_bucket, func.count())
            .where(R.status == Status.RESOLVED.value, R.closed_at >= start, R.closed_at <= now)
            .group_by(resolved_bucket)
        ).all()
    lang = lang or v.city.default_language
    created_days = _per_local_day(created, tz)
    resolved_days = _per_local_day(resolved, tz)
    per_day = []
    for i in range(days):
        d = (first_day + timedelta(days=i)).isoformat()
        per_day.append({"date": d, "created": created_days.get(d, 0), "resolved": resolved_days.get(d, 0)})
    groups = v.catalogue.groups
    zones = v.city.zones.by_code
    open_by_group = _ranked(
        [(c, groups[c].name.get(lang) if c in groups else c, int(n)) for c, n in by_group]
    )
    open_by_zone = _ranked([(c, zones[c].name if c in zones else c, int(n)) for c, n in by_zone])
    return {
        "generated_at": now.isoformat(),
        "days": days,
        "first_day": first_day.isoformat(),
        "last_day": today.isoformat(),
        "open_total": sum(x["count"] for x in open_by_group),
        "overdue": int(overdue or 0),
        "due_soon": int(due_soon or 0),
        "median_acknowledge_seconds": ack,
        "median_resolve_seconds": resolve,
        "open_by_group": open_by_group,
        "open_by_zone": open_by_zone,
        "per_day": per_day,
    }
