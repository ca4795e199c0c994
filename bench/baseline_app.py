"""The bare baseline: the same stack as Vigie with none of its work.

FastAPI + uvicorn (same loop/http implementations as `vigie serve`) + synchronous
SQLAlchemy run in the thread pool, on the same backend with the same engine
settings as Vigie (SQLite WAL, synchronous=NORMAL, BEGIN IMMEDIATE for writes;
PostgreSQL pool of 20+20). What it does per request is the floor Vigie is
compared with:

* ``POST /requests.json``  parses the Open311 form and inserts one row in a one-table database;
* ``GET /reports`` and ``GET /requests.json`` run the same SQL as Vigie's list
  endpoints on the ``reports`` table (on SQLite, Vigie's per-status index walks merged,
  then the page's rows by id; on PostgreSQL one ``status IN (…)`` query) and return
  the rows as JSON;
* ``GET /events`` is an SSE stream and ``POST /events/trigger`` inserts a row
  then fans ``{"id": …}`` out to every stream (what Vigie's MemoryBus does).

Usage: ``python bench/baseline_app.py serve --url URL --port PORT`` or
``python bench/baseline_app.py bulk-insert --url URL --count 2000``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    text,
)

metadata = MetaData()
items = Table(
    "bench_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_code", String(64), nullable=False),
    Column("lat", Float),
    Column("long", Float),
    Column("description", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

OPEN = ["acknowledged", "assigned", "in_progress", "new", "reopened"]
CLOSED = ["duplicate", "rejected", "resolved"]


def make_engine(url: str, immediate: bool = False) -> Engine:
    """Same settings as vigie.db.make_engine, written out so the baseline owes nothing to Vigie."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def create_app(url: str) -> FastAPI:
    read = make_engine(url)
    write = make_engine(url, immediate=True)
    # The table is created on first insert only, so that query runs stay read-only.
    created = threading.Event()
    lock = threading.Lock()
    subscribers: set[asyncio.Queue[bytes]] = set()
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    def _insert(code: str, lat: float, long: float, description: str) -> int:
        if not created.is_set():
            with lock:
                metadata.create_all(write)
                created.set()
        with write.begin() as c:
            row = c.execute(
                insert(items).values(
                    service_code=code,
                    lat=lat,
                    long=long,
                    description=description,
                    created_at=datetime.now(UTC),
                )
            )
            return int(row.inserted_primary_key[0])

    async def _form_insert(request: Request) -> int | Response:
        form = await request.form()
        try:
            code = str(form["service_code"])
            lat, long = float(str(form["lat"])), float(str(form["long"]))
            str(form["api_key"])
        except (KeyError, ValueError):
            return JSONResponse([{"code": 400, "description": "bad request"}], status_code=400)
        return await run_in_threadpool(_insert, code, lat, long, str(form.get("description", "")))

    @app.post("/requests.json")
    async def post_request(request: Request) -> Response:
        rid = await _form_insert(request)
        if isinstance(rid, Response):
            return rid
        return JSONResponse([{"service_request_id": str(rid)}])

    def _select(where: str, params: dict[str, Any], size: int) -> list[dict[str, Any]]:
        sql = (
            f"SELECT * FROM reports WHERE {where} "  # noqa: S608 (fixed fragments only)
            "ORDER BY requested_at DESC, id DESC LIMIT :limit"
        )
        with read.connect() as c:
            rows = c.execute(text(sql), {**params, "limit": size + 1}).mappings().all()
        return [{k: _jsonable(v) for k, v in r.items()} for r in rows[:size]]

    def _select_per_status(
        statuses: list[str], where: str, params: dict[str, Any], size: int
    ) -> list[dict[str, Any]]:
        """SQLite: the query shape of vigie.reports.queries._per_status_page, in plain SQL.

        One ordered, limited walk of the (status, requested_at, lat, long, public) index
        per status, merged, then the page's rows loaded by id (two statements, as Vigie).
        """
        heads = " UNION ALL ".join(
            f"SELECT * FROM (SELECT id, requested_at FROM reports WHERE status = :s{i} "  # noqa: S608
            f"AND {where} ORDER BY requested_at DESC, id DESC LIMIT :need)"
            for i in range(len(statuses))
        )
        ids_sql = f"SELECT id FROM ({heads}) ORDER BY requested_at DESC, id DESC LIMIT :limit"  # noqa: S608
        p = {**params, **{f"s{i}": s for i, s in enumerate(statuses)}}
        with read.connect() as c:
            ids = [r[0] for r in c.execute(text(ids_sql), {**p, "need": size + 1, "limit": size + 1})]
            if not ids:
                return []
            marks = ", ".join(f":i{k}" for k in range(len(ids)))
            rows = (
                c.execute(
                    text(f"SELECT * FROM reports WHERE id IN ({marks})"),  # noqa: S608
                    {f"i{k}": i for k, i in enumerate(ids)},
                )
                .mappings()
                .all()
            )
        by_id = {r["id"]: r for r in rows}
        return [{k: _jsonable(v) for k, v in by_id[i].items()} for i in ids[:size] if i in by_id]

    sqlite = url.startswith("sqlite")

    @app.get("/reports")
    def list_reports(bbox: str, status: str, page_size: int = 100) -> Response:
        x1, y1, x2, y2 = (float(p) for p in bbox.split(","))
        statuses = status.split(",")
        params: dict[str, Any] = {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "public": True}
        if sqlite:  # Vigie's SQLite shape: per-status walks, bbox kept off the (lat, long) index
            where = (
                "public = :public AND lat + 0 >= :y1 AND lat + 0 <= :y2 "
                "AND long + 0 >= :x1 AND long + 0 <= :x2"
            )
            rows = _select_per_status(statuses, where, params, page_size)
        else:
            marks = ", ".join(f":s{i}" for i in range(len(statuses)))
            params.update({f"s{i}": s for i, s in enumerate(statuses)})
            where = (
                f"status IN ({marks}) AND public = :public "
                "AND lat >= :y1 AND lat <= :y2 AND long >= :x1 AND long <= :x2"
            )
            rows = _select(where, params, page_size)
        return Response(json.dumps({"items": rows}), media_type="application/json")

    @app.get("/requests.json")
    def list_requests(status: str, start_date: str, end_date: str, page_size: int = 100) -> Response:
        statuses = OPEN if status == "open" else CLOSED
        marks = ", ".join(f":s{i}" for i in range(len(statuses)))
        params: dict[str, Any] = {f"s{i}": s for i, s in enumerate(statuses)}
        start = datetime.fromisoformat(start_date).astimezone(UTC)
        end = datetime.fromisoformat(end_date).astimezone(UTC)
        if url.startswith("sqlite"):  # stored as naive UTC text, like Vigie's UTCDateTime
            params.update(start=start.replace(tzinfo=None), end=end.replace(tzinfo=None))
        else:
            params.update(start=start, end=end)
        params["public"] = True
        if sqlite:
            where = "public = :public AND requested_at >= :start AND requested_at <= :end"
            rows = _select_per_status(statuses, where, params, page_size)
        else:
            where = (
                f"status IN ({marks}) AND public = :public "
                "AND requested_at >= :start AND requested_at <= :end"
            )
            rows = _select(where, params, page_size)
        return Response(json.dumps(rows), media_type="application/json")

    @app.get("/events")
    async def events() -> StreamingResponse:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)
        subscribers.add(queue)

        async def body() -> AsyncIterator[bytes]:
            try:
                yield b"retry: 3000\n: connected\n\n"
                while True:
                    try:
                        data = await asyncio.wait_for(queue.get(), timeout=15)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    yield b"event: created\ndata: " + data + b"\n\n"
            finally:
                subscribers.discard(queue)

        return StreamingResponse(body(), media_type="text/event-stream")

    @app.post("/events/trigger")
    async def trigger(request: Request) -> Response:
        body = await request.json()
        rid = await run_in_threadpool(
            _insert,
            str(body["service_code"]),
            float(body["lat"]),
            float(body["long"]),
            str(body.get("description", "")),
        )
        data = json.dumps({"id": str(rid)}).encode()
        for q in list(subscribers):
            try:
                q.put_nowait(data)
            except asyncio.QueueFull:
                subscribers.discard(q)
        return JSONResponse({"id": str(rid)}, status_code=201)

    @app.get("/subscribers")
    def subscriber_count() -> dict[str, int]:
        return {"subscribers": len(subscribers)}

    return app


def bulk_insert(url: str, count: int) -> None:
    """Demo baseline: a fresh process that inserts `count` rows through the ORM layer's engine."""
    t0 = time.perf_counter()
    engine = make_engine(url, immediate=True)
    metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as c:
        for i in range(count):
            c.execute(
                insert(items).values(
                    service_code="nid-de-poule",
                    lat=47.32 + i * 1e-6,
                    long=5.04,
                    description=f"baseline {i}",
                    created_at=now,
                )
            )
    engine.dispose()
    print(f"inserted {count} rows in {time.perf_counter() - t0:.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--url", required=True)
    serve.add_argument("--port", type=int, required=True)
    bulk = sub.add_parser("bulk-insert")
    bulk.add_argument("--url", required=True)
    bulk.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    if args.cmd == "bulk-insert":
        bulk_insert(args.url, args.count)
        return
    import uvicorn

    uvicorn.run(
        create_app(args.url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
