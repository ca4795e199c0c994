"""Batched database writes of the ingest, with the fastest statement each backend offers.

Samples go in with one multi-row statement per batch: ``INSERT OR IGNORE``
(executemany) on SQLite, ``INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO
NOTHING`` on PostgreSQL (one round trip for thousands of rows).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from vigie.db import Database
from vigie.telemetry.storage import CommandRow, DeadLetterRow, TelemetryLatestRow

log = logging.getLogger(__name__)
Sample = tuple[str, int, str]  # asset_id, ts_ms, JSON text
State = tuple[str, int, int, dict[str, Any], str]  # asset_id, ts_ms, received_ms, values, last text
STATE_CHUNK = 1000


def dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def write_samples(s: Session, rows: Sequence[Sample]) -> None:
    if not rows:
        return
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        # COPY (rows formatted in C by psycopg) into a per-session staging table, then one
        # INSERT … ON CONFLICT DO NOTHING: text arrays would be escaped in Python, 5x slower.
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS telemetry_samples_in "
                "(asset_id varchar(64), ts_ms bigint, data text) ON COMMIT DELETE ROWS"
            )
            with cur.copy("COPY telemetry_samples_in (asset_id, ts_ms, data) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                "INSERT INTO telemetry_samples (asset_id, ts_ms, data) "
                "SELECT asset_id, ts_ms, data FROM telemetry_samples_in ON CONFLICT DO NOTHING"
            )
            cur.execute("TRUNCATE telemetry_samples_in")
    else:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO telemetry_samples (asset_id, ts_ms, data) VALUES (?, ?, ?)",
            list(rows),
        )


def write_dead_letters(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        s.execute(insert(DeadLetterRow), list(rows))


def upsert_latest(s: Session, rows: Sequence[tuple[str, int, int, dict[str, Any]]]) -> None:
    """rows: (asset_id, ts_ms, received_ms, values); one statement per 5,000 rows."""
    if not rows:
        return
    conn = s.connection()
    dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode
    for i in range(0, len(rows), 5000):
        chunk = rows[i : i + 5000]
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:  # type: ignore[union-attr]
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS telemetry_latest_in (asset_id varchar(64), "
                    "ts timestamptz, received_at timestamptz, data text) ON COMMIT DELETE ROWS"
                )
                copy_sql = "COPY telemetry_latest_in (asset_id, ts, received_at, data) FROM STDIN"
                with cur.copy(copy_sql) as copy:
                    for r in chunk:
                        copy.write_row((r[0], dt(r[1]), dt(r[2]), dumps(r[3])))
                cur.execute(
                    "INSERT INTO telemetry_latest (asset_id, ts, received_at, data) "
                    "SELECT asset_id, ts, received_at, data::json FROM telemetry_latest_in "
                    "ON CONFLICT (asset_id) DO UPDATE SET ts = excluded.ts, "
                    "received_at = excluded.received_at, data = excluded.data"
                )
                cur.execute("TRUNCATE telemetry_latest_in")
        else:
            # The text form SQLAlchemy's SQLite DateTime stores (UTC, no zone).
            conn.exec_driver_sql(
                "INSERT INTO telemetry_latest (asset_id, ts, received_at, data) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (asset_id) DO UPDATE SET ts = excluded.ts, "
                "received_at = excluded.received_at, data = excluded.data",
                [(r[0], _sqlite_dt(r[1]), _sqlite_dt(r[2]), dumps(r[3])) for r in chunk],
            )


def _sqlite_dt(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(" ", "microseconds")[:26]


def apply_acks(s: Session, acks: Sequence[tuple[str, str, str, str, int]]) -> int:
    """acks: (command_id, asset_id, status, detail, received_ms); returns commands updated."""
    n = 0
    for command_id, asset_id, status, detail, at_ms in acks:
        res = s.execute(
            update(CommandRow)
            .where(
                CommandRow.id == command_id,
                CommandRow.asset_id == asset_id,
                CommandRow.acked_at.is_(None),
            )
            .values(
                status="acked" if status == "ok" else "failed",
                acked_at=dt(at_ms),
                result={"status": status, "detail": detail} if detail else {"status": status},
            )
        )
        n += res.rowcount or 0  # type: ignore[attr-defined]
    return n


def load_latest(s: Session) -> list[tuple[str, int, int, dict[str, Any]]]:
    L = TelemetryLatestRow
    q = select(L.asset_id, L.ts, L.received_at, L.data)
    return [
        (a, int(ts.timestamp() * 1000), int(rcv.timestamp() * 1000), dict(data or {}))
        for a, ts, rcv, data in s.execute(q)
    ]


def load_state(s: Session, asset_ids: Sequence[str]) -> list[State]:
    """The latest state of some assets (PostgreSQL): their copy in ``telemetry_latest``
    brought up to date with the samples written after it.

    The copy lags the series by up to ``VIGIE_TELEMETRY_LATEST_FLUSH_SECONDS``: an
    ingest killed before its next copy leaves the difference in the series only, and
    the process taking its partition over must start from the newest state written.
    Samples are replayed in time order, merged as the ingest merges messages; the time
    a replayed message was received is not stored, its ``ts`` stands for it.
    """
    states: dict[str, list[Any]] = {}
    for i in range(0, len(asset_ids), STATE_CHUNK):
        chunk = list(asset_ids[i : i + STATE_CHUNK])
        L = TelemetryLatestRow
        for a, ts, rcv, data in s.execute(
            select(L.asset_id, L.ts, L.received_at, L.data).where(L.asset_id.in_(chunk))
        ):
            states[a] = [int(ts.timestamp() * 1000), int(rcv.timestamp() * 1000), dict(data or {}), ""]
        without = [a for a in chunk if a not in states]
        newer = s.execute(
            text(
                "SELECT s.asset_id, s.ts_ms, s.data FROM telemetry_samples s "
                "JOIN telemetry_latest l ON l.asset_id = s.asset_id "
                "WHERE s.asset_id = ANY(:ids) AND s.ts_ms > round(extract(epoch FROM l.ts) * 1000)::bigint "
                "UNION ALL SELECT s.asset_id, s.ts_ms, s.data FROM telemetry_samples s "
                "WHERE s.asset_id = ANY(:without) ORDER BY 1, 2"
            ),
            {"ids": chunk, "without": without},
        )
        for a, ts_ms, data in newer:
            values = json.loads(data)
            values.pop("ts", None)
            values.pop("x", None)
            st = states.get(a)
            if st is None:
                states[a] = [ts_ms, ts_ms, values, data]
            else:
                st[2].update(values)
                st[0], st[1], st[3] = ts_ms, max(st[1], ts_ms), data
    return [(a, ts_ms, rcv_ms, values, last) for a, (ts_ms, rcv_ms, values, last) in states.items()]


# A meter field's values over some assets' samples since a time, read by the database from
# the stored JSON over the primary key's range of each asset.
_READINGS = {
    # The text parsed once per row, as json (jsonb would build its binary form first).
    "postgresql": text(
        "SELECT asset_id, ts_ms, value::text FROM (SELECT asset_id, ts_ms, "
        "data::json -> CAST(:field AS text) AS value FROM telemetry_samples "
        "WHERE asset_id = ANY(:ids) AND ts_ms >= :since) AS found "
        "WHERE json_typeof(value) = 'number' ORDER BY asset_id, ts_ms"
    ),
    "sqlite": text(
        "SELECT asset_id, ts_ms, json_extract(data, :path) FROM telemetry_samples "
        "WHERE asset_id IN (SELECT value FROM json_each(:ids)) AND ts_ms >= :since "
        "AND json_type(data, :path) IN ('integer', 'real') ORDER BY asset_id, ts_ms"
    ),
}


def load_readings(
    s: Session, asset_ids: Sequence[str], fields: Sequence[str], since_ms: int
) -> list[tuple[str, int, str, float]]:
    """The numeric values of ``fields`` the series holds for some assets since ``since_ms``:
    ``(asset id, ts_ms, field, value)``, in time order per asset and field. The database
    extracts each field from the stored JSON (``->>`` / ``json_extract``) and leaves out the
    values that are not JSON numbers (a device's bad message is never a reading)."""
    if not asset_ids or not fields:
        return []
    postgres = s.get_bind().dialect.name == "postgresql"
    query = _READINGS["postgresql" if postgres else "sqlite"]
    out: list[tuple[str, int, str, float]] = []
    for field in fields:
        for i in range(0, len(asset_ids), STATE_CHUNK):
            chunk = list(asset_ids[i : i + STATE_CHUNK])
            params: dict[str, Any] = {"since": since_ms}
            if postgres:
                params.update(ids=chunk, field=field)
            else:
                params.update(ids=json.dumps(chunk), path="$." + json.dumps(field))
            out += [(a, int(ts_ms), field, float(raw)) for a, ts_ms, raw in s.execute(query, params)]
    return out


def clean_text(text: str) -> str:
    """PostgreSQL text cannot hold NUL characters; dead letters may come with any bytes."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def write_batch(
    db: Database,
    samples: Sequence[Sample],
    dead: Sequence[dict[str, Any]],
    acks: Sequence[tuple[str, str, str, str, int]],
    latest: Sequence[tuple[str, int, int, dict[str, Any]]],
) -> int:
    """Everything of one flush in one transaction; returns the commands acknowledged."""
    with db.session(write=True) as s:
        if db.dialect == "postgresql":
            # Samples are measurements acknowledged to the broker on receipt: a database
            # crash may lose the last fraction of a second of them, never corrupt. Not
            # waiting for the WAL flush keeps batches short while a checkpoint writes.
            s.execute(text("SET LOCAL synchronous_commit = off"))
        write_samples(s, samples)
        write_dead_letters(s, dead)
        acked = apply_acks(s, acks) if acks else 0
        upsert_latest(s, latest)
        s.commit()
    return acked


def salvage(
    db: Database,
    samples: Sequence[Sample],
    dead: Sequence[dict[str, Any]],
    acks: Sequence[tuple[str, str, str, str, int]],
    latest: Sequence[tuple[str, int, int, dict[str, Any]]],
) -> tuple[int, int]:
    """A batch that keeps failing while the database answers: write what can be written.

    Each part in its own transaction, then row by row (savepoints) for the part
    that fails; rows that still fail are dropped. Returns (acks applied, rows dropped).
    """
    dropped = 0
    acked = 0
    parts: list[tuple[Any, Sequence[Any]]] = [
        (write_samples, samples),
        (write_dead_letters, dead),
        (upsert_latest, latest),
    ]
    for fn, rows in parts:
        if not rows:
            continue
        try:
            with db.session(write=True) as s:
                fn(s, rows)
                s.commit()
            continue
        except Exception as exc:
            log.warning("salvaging %d rows one by one: %s", len(rows), exc)
        with db.session(write=True) as s:
            for row in rows:
                try:
                    with s.begin_nested():
                        fn(s, [row])
                except Exception:
                    dropped += 1
            s.commit()
    if acks:
        try:
            with db.session(write=True) as s:
                acked = apply_acks(s, acks)
                s.commit()
        except Exception:
            dropped += len(acks)
    return acked, dropped


def database_answers(db: Database) -> bool:
    try:
        with db.session() as s:
            s.execute(select(1))
        return True
    except Exception:
        return False
