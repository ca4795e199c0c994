"""Prepared statements store what Connection.execute stores, and fail the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from vigie.db import Database, Prepared, UTCDateTime, prepared_insert

meta = MetaData()
items = Table(
    "prep_items",
    meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), unique=True, nullable=False),
    Column("note", String(20), default=""),
    Column("data", JSON, default=dict),
    Column("at", UTCDateTime),
)


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    d = Database(database_url, group_commit=False)
    meta.drop_all(d.write_engine)
    meta.create_all(d.write_engine)
    yield d
    meta.drop_all(d.write_engine)
    d.dispose()


def test_db_prepared_insert_stores_what_core_stores(db: Database) -> None:
    at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    row = {"name": "a", "note": "é", "data": {"k": [1, "deux"]}, "at": at}
    ins = prepared_insert(items, list(row), returning="id")
    with db.write_engine.begin() as conn:
        first = ins.execute(conn, row)
        core = conn.execute(items.insert().returning(items.c.id), {**row, "name": "b"}).scalar_one()
        Prepared(update(items).where(items.c.id == bindparam("rid")).values(note=bindparam("n"))).execute(
            conn, {"rid": first, "n": "changed"}
        )
    with db.engine.connect() as conn:
        got = {r.id: r for r in conn.execute(select(items))}
    assert got[first].data == got[core].data == {"k": [1, "deux"]}
    assert got[first].at == got[core].at == at
    assert got[first].note == "changed"
    assert got[core].note == "é"


def test_db_prepared_insert_raises_sqlalchemy_integrity_error(db: Database) -> None:
    ins = prepared_insert(items, ["name", "note", "data", "at"])
    row = {"name": "dup", "note": "", "data": {}, "at": None}
    with db.write_engine.begin() as conn:
        ins.execute(conn, row)
        with pytest.raises(IntegrityError):
            ins.execute(conn, row)


def test_db_prepared_insert_refuses_to_skip_a_defaulted_column() -> None:
    with pytest.raises(ValueError, match="note, data"):
        prepared_insert(items, ["name", "at"])


def test_db_prepared_rows_are_what_core_returns(db: Database) -> None:
    """An IN list rendered per call, a constant of the statement and a converted date, as Core does."""
    at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    with db.write_engine.begin() as conn:
        for i, name in enumerate(["a", "b", "c", "d"]):
            conn.execute(items.insert(), {"name": name, "note": "n" * i, "at": at})
    stmt = (
        select(items.c.name, items.c.note)
        .where(items.c.name.in_(bindparam("names", expanding=True)), items.c.at >= bindparam("since"))
        .where(items.c.note != "nn")  # a value carried by the statement itself
        .order_by(items.c.name)
    )
    prepared = Prepared(stmt)
    with db.engine.connect() as conn:
        for names in (["a", "b", "c"], ["d"], ["a", "c", "zz", "b"]):
            params = {"names": names, "since": at}
            assert prepared.rows(conn, params) == [tuple(r) for r in conn.execute(stmt, params)]
        assert prepared.rows(conn, {"names": ["a"], "since": datetime(2027, 1, 1, tzinfo=UTC)}) == []
        with pytest.raises(KeyError):
            Prepared(select(items.c.name).where(items.c.id == bindparam("rid"))).rows(conn, {})


def test_db_prepared_first_row_is_what_core_returns(db: Database) -> None:
    """Each value through its type's result processing (an aware date, parsed JSON), as Core gives it."""
    at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    with db.write_engine.begin() as conn:
        conn.execute(items.insert(), {"name": "a", "data": {"k": [1, "deux"]}, "at": at})
    stmt = select(items.c.name, items.c.data, items.c.at).where(items.c.name == bindparam("name"))
    prepared = Prepared(stmt)
    with db.one_statement_connection() as conn:
        found = prepared.first_row(conn, {"name": "a"})
        assert found == tuple(conn.execute(stmt, {"name": "a"}).one())
        assert found == ("a", {"k": [1, "deux"]}, at)
        assert prepared.first_row(conn, {"name": "zz"}) is None
