"""Database engine, sessions and column types shared by every context.

SQLite (WAL, foreign keys on) is the embedded default; PostgreSQL is used at
scale. Both run the same Alembic migrations and the same tests.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Float,
    MetaData,
    Table,
    cast,
    create_engine,
    event,
    func,
    insert,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        """SQLite: the text SQLAlchemy's DATETIME stores, in one C call (``isoformat``) instead of
        this class's method and then the dialect's %-formatting of seven fields: a report
        written in a batch has about five dates, its share of an import's CPU
        (docs/benchmarks.md, issue 14). The stored text is the same, byte for byte. Elsewhere,
        when the driver takes the value as it is (psycopg), the check and the conversion to
        UTC in one call."""
        if dialect.name != "sqlite":
            if self.impl_instance.dialect_impl(dialect).bind_processor(dialect) is not None:
                return super().bind_processor(dialect)

            def aware(value: datetime | None) -> datetime | None:
                if value is None:
                    return None
                if value.tzinfo is None:
                    raise ValueError("naive datetime given to a UTC column")
                return value if value.tzinfo is UTC else value.astimezone(UTC)

            return aware

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def make_engine(url: str, *, immediate: bool = False, autocommit: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        memory = path in ("", ":memory:")
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Each SQLite connection has its own page cache: few connections, modest caches,
        # so a server on a 1,000,000-report file stays within its memory budget.
        # Writers queue on the pool (cheap) rather than in SQLite's busy-retry sleeps.
        pool_args: dict[str, Any] = (
            {"poolclass": StaticPool}
            if memory
            else {
                "pool_size": 3 if immediate else 8,
                "max_overflow": 2 if immediate else 4,
                "pool_timeout": 60,
            }
        )
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool_args,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" below issue BEGIN so transactions are real.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-8192")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()
            # Unicode lower case for searches a trigram index cannot serve (reports.search).
            dbapi_conn.create_function("vigie_lower", 1, _lower, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: concurrent writers queue on
            # busy_timeout instead of failing with "database is locked" on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # No pre-ping round trip per checkout; recycle instead so stale connections do not linger.
    # Always a plan for the values at hand: psycopg prepares a statement after five runs,
    # and PostgreSQL may then switch to a generic plan that ignores them, some thirty times
    # slower for a list in a small box (docs/benchmarks.md; tests/db/test_db_query_plans.py).
    # The autocommit pool serves the read and write thread pools' one-statement work
    # (a few threads each): a smaller one keeps two pools within max_connections.
    pool: dict[str, Any] = (
        {"pool_size": 5, "max_overflow": 10, "isolation_level": "AUTOCOMMIT"}
        if autocommit
        else {"pool_size": 10, "max_overflow": 20}
    )
    return create_engine(
        url,
        **pool,
        pool_recycle=1800,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


T = TypeVar("T")
_REQUIRED = object()


class Prepared:
    """A Core statement compiled once per dialect and run straight on the driver's cursor.

    For hot paths only (a resident's report: three statements per request; a
    page of a public list). SQLAlchemy's per-execution work (the cache key
    hashed and compared, execution context, result proxy) costs several times a
    SQLite insert itself, and a third of a list page's interpreter time on
    PostgreSQL; here the statement is compiled once and each value goes
    through its type's own bind processor, so what is stored is exactly what
    ``Connection.execute`` would store. Parameters are plain dicts keyed by bind
    name; nothing is filled in. Expanding parameters (``IN`` lists) are
    rendered for each call's values, as ``Connection.execute`` renders them.
    """

    def __init__(self, stmt: Any, column_keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[str, tuple[str, list[tuple[str, Any, Any]], bool, Any]] = {}
        self._processors: dict[str, list[Any]] = {}

    def _prepare(self, conn: Connection) -> tuple[str, list[tuple[str, Any, Any]], bool, Any]:
        dialect = conn.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.stmt.compile(dialect=dialect, column_keys=self.column_keys)
            binds = compiled.binds
            positional = compiled.positiontup is not None
            order = list(compiled.positiontup) if positional else list(binds)
            # A parameter given in the statement itself (a limit, a constant) keeps its value;
            # a required one must be in the call's parameters.
            processors = [
                (
                    name,
                    binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                    _REQUIRED if binds[name].required else binds[name].effective_value,
                )
                for name in order
            ]
            found = (str(compiled), processors, positional, compiled)
            self._compiled[dialect.name] = found
        return found

    def _bind(self, conn: Connection, params: dict[str, Any]) -> tuple[str, Any]:
        """The SQL text and the driver's arguments for ``params``."""
        sql, processors, positional, compiled = self._prepare(conn)
        if compiled.post_compile_params:
            state = compiled.construct_expanded_state(params)
            # The statement's own processors, and those of the parameters the lists became.
            procs = {name: proc for name, proc, _ in processors} | dict(state.processors)
            names = state.positiontup if positional else list(state.parameters)
            given = state.parameters
            args = [procs[n](given[n]) if procs.get(n) else given[n] for n in names]
            return state.statement, args if positional else dict(zip(names, args, strict=True))
        values = []
        for name, proc, default in processors:
            value = params[name] if default is _REQUIRED or name in params else default
            values.append(proc(value) if proc else value)
        return sql, values if positional else {
            n: val for (n, _, _), val in zip(processors, values, strict=True)
        }

    def _run(self, conn: Connection, params: dict[str, Any], fetch: Callable[[Any], T]) -> T:
        sql, args = self._bind(conn, params)
        dbapi_error = conn.dialect.loaded_dbapi.Error
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if conn.dispatch.before_cursor_execute:  # listeners see it as any statement (tests, tracing)
                conn.dispatch.before_cursor_execute(conn, cursor, sql, args, None, False)
            cursor.execute(sql, args)
            return fetch(cursor)
        except dbapi_error as exc:
            # The same exception classes callers get from Connection.execute.
            raise DBAPIError.instance(sql, args, exc, dbapi_error) from exc
        finally:
            cursor.close()

    def execute(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Run in ``conn``'s transaction; the first column of the first row returned, if any."""

        def first(cursor: Any) -> Any:
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

        return self._run(conn, params, first)

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, as the driver returns them (no result processing: for text and numbers)."""
        return self._run(conn, params, lambda cursor: list(cursor.fetchall()))

    def first_row(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row, each value through its column type's result processor (the values
        ``Connection.execute`` returns: aware datetimes, parsed JSON), or ``None``. For a SELECT."""
        processors = self._result_processors(conn.dialect)
        row = self._run(conn, params, lambda cursor: cursor.fetchone())
        if row is None:
            return None
        return tuple(p(value) if p else value for p, value in zip(processors, row, strict=True))

    def _result_processors(self, dialect: Any) -> list[Any]:
        found = self._processors.get(dialect.name)
        if found is None:
            columns = self.stmt.selected_columns
            found = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
            self._processors[dialect.name] = found
        return found


def prepared_insert(table: Table, names: Sequence[str], returning: str | None = None) -> Prepared:
    """A :class:`Prepared` INSERT of ``names``; every column with a Python default must be named."""
    missing = [
        c.name for c in table.columns if c.default is not None and not c.primary_key and c.key not in names
    ]
    if missing:
        raise ValueError(f"an insert into {table.name} must give {', '.join(missing)}")
    stmt = insert(table)
    if returning:
        stmt = stmt.returning(table.c[returning])
    return Prepared(stmt, names)


class GroupCommitter:
    """One SQLite writer thread that commits concurrent callers' work together.

    SQLite takes one writer at a time and a commit costs more than the few
    inserts of a report: thirty residents submitting at once would queue for
    thirty commits. Here each caller's unit of work runs in its own SAVEPOINT
    (a failing unit is rolled back alone and its exception goes back to its
    caller) inside one transaction per batch, committed once; callers return
    when their batch is durable, so "after commit" still holds for them.
    """

    def __init__(self, factory: sessionmaker[Session], max_batch: int = 64) -> None:
        self.factory = factory
        self.max_batch = max_batch
        self.queue: queue.SimpleQueue[tuple[Callable[[Session], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def run(self, unit: Callable[[Session], T]) -> T:
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._loop, name="vigie-sqlite-writer", daemon=True)
                    self.thread.start()
        done: Future[T] = Future()
        self.queue.put((unit, done))
        return done.result()

    def stop(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join(timeout=10)
            self.thread = None

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.queue.put(None)  # finish this batch, then stop
                    break
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Callable[[Session], Any], Future[Any]]]) -> None:
        # Units nearly always succeed: run the batch plainly first (a savepoint per
        # unit costs as much as the report's own inserts). When a unit of a larger
        # batch fails, the batch is rolled back and replayed with a savepoint around
        # each unit, so the failure stays its caller's own. Units only touch the
        # session, so a replay after a rollback is safe.
        try:
            with self.factory() as s:
                results = [unit(s) for unit, _ in batch]
                s.commit()
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
            else:
                self._replay(batch)
            return
        except BaseException as exc:  # not the units' own failure: nobody's work is saved
            self._fail(batch, exc)
            return
        for (_, done), result in zip(batch, results, strict=True):
            done.set_result(result)

    def _replay(self, batch: list[tuple[Callable[[Session], Any], Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            with self.factory() as s:
                for unit, done in batch:
                    try:
                        with s.begin_nested():
                            outcomes.append((done, unit(s), None))
                    except Exception as exc:  # this caller's failure only
                        outcomes.append((done, None, exc))
                s.commit()
        except BaseException as exc:  # the commit itself failed: nobody's work is saved
            self._fail(batch, exc)
            return
        for done, result, error in outcomes:
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)

    @staticmethod
    def _fail(batch: list[tuple[Callable[[Session], Any], Future[Any]]], exc: BaseException) -> None:
        for _, done in batch:
            if not done.done():
                done.set_exception(exc)


def plain_rows(s: Session, stmt: Any) -> list[Any]:
    """Rows of a statement as DB-API tuples: 100,000 rows through
    SQLAlchemy's result objects and type processing cost several times more.

    For statements whose only literals are the caller's constants: they are
    written inline, so never pass user input here.
    """
    sql = str(stmt.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    cur = s.connection().connection.cursor()
    try:
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        cur.close()


def age_seconds_sql(s: Session, column: Any) -> Any:
    """Seconds since a timestamp column, computed by the database (no date parsing in Python)."""
    if s.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", func.now() - column), Float)
    return (func.julianday("now") - func.julianday(column)) * 86400.0


class Database:
    """Engine plus session factory; one per application (or test)."""

    def __init__(self, url: str, group_commit: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.committer: GroupCommitter | None = None
        # Zones whose offsets are in tz_offsets (SQLite; see vigie.sqljson).
        self.zones_written: set[str] = set()
        if self.engine.dialect.name == "sqlite" and ":memory:" not in url:
            self.write_engine = make_engine(url, immediate=True)
        else:
            self.write_engine = self.engine
        self.write_session_factory = sessionmaker(self.write_engine, expire_on_commit=False)
        # PostgreSQL: a pool of its own whose connections stay in autocommit, rather than
        # switching a shared connection there and back on every checkout (interpreter time
        # on every list page and plain report).
        self.one_statement_engine = (
            make_engine(url, autocommit=True) if self.dialect == "postgresql" else self.engine
        )
        if group_commit and self.write_engine is not self.engine:
            self.committer = GroupCommitter(self.write_session_factory)

    def one_statement_connection(self) -> Connection:
        """A connection for work that is one statement: a list page, a resident's plain report.

        On PostgreSQL it runs outside a transaction block: one statement is its own
        transaction, seen whole or not at all, and the BEGIN and COMMIT (or the
        ROLLBACK at return) would be two round trips of three (docs/benchmarks.md).
        SQLite's own transactions cost no round trip: unchanged there, and
        its writes keep going through :meth:`write`.
        """
        return self.one_statement_engine.connect()

    def write(self, unit: Callable[[Session], T]) -> T:
        """Run ``unit(session)`` in a write transaction, commit, return its result.

        ``unit`` must not commit. On SQLite concurrent units may share one
        transaction (see :class:`GroupCommitter`); elsewhere each has its own.
        """
        if self.committer is not None:
            return self.committer.run(unit)
        with self.write_session_factory() as s:
            result = unit(s)
            s.commit()
            return result

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        factory = self.write_session_factory if write else self.session_factory
        session = factory()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        if self.committer is not None:
            self.committer.stop()
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
        if self.one_statement_engine is not self.engine:
            self.one_statement_engine.dispose()


def upsert(
    s: Session, table: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str], chunk: int = 2000
) -> None:
    """Insert ``rows`` into ``table``, replacing the other columns of rows whose ``keys``
    exist (INSERT … ON CONFLICT DO UPDATE, the same on SQLite and PostgreSQL)."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    pg = s.get_bind().dialect.name == "postgresql"
    columns = [c for c in rows[0] if c not in keys]
    # One statement with parameters (compiled once, cached), run over the rows at once:
    # SQLAlchemy batches them into multi-row VALUES itself.
    stmt: Any = postgresql.insert(table) if pg else sqlite.insert(table)
    if columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    for i in range(0, len(rows), chunk):
        s.execute(stmt, list(rows[i : i + chunk]))
