"""GroupCommitter: concurrent units share a commit, and a failing unit fails alone."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigie.db import Database, GroupCommitter


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    d = Database(database_url, group_commit=False)
    with d.write_engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS gc_items (name VARCHAR(20) PRIMARY KEY)"))
        conn.execute(text("DELETE FROM gc_items"))
    yield d
    with d.write_engine.begin() as conn:
        conn.execute(text("DROP TABLE gc_items"))
    d.dispose()


def _insert(name: str, calls: list[str]) -> Any:
    def unit(s: Session) -> str:
        calls.append(name)
        s.execute(text("INSERT INTO gc_items (name) VALUES (:n)"), {"n": name})
        return name

    return unit


def _names(db: Database) -> list[str]:
    with db.write_engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text("SELECT name FROM gc_items")))


def _run_batch(committer: GroupCommitter, units: list[Any]) -> list[Future[Any]]:
    batch = [(u, Future()) for u in units]
    committer._commit(batch)
    return [done for _, done in batch]


def test_db_group_commit_batch_commits_every_unit_once(db: Database) -> None:
    calls: list[str] = []
    futures = _run_batch(GroupCommitter(db.write_session_factory), [_insert(n, calls) for n in "abc"])
    assert [f.result() for f in futures] == ["a", "b", "c"]
    assert _names(db) == ["a", "b", "c"]
    assert calls == ["a", "b", "c"]  # no replay when nothing failed


def test_db_group_commit_failing_unit_fails_alone(db: Database) -> None:
    calls: list[str] = []
    units = [_insert("a", calls), _insert("b", calls), _insert("a", calls), _insert("d", calls)]
    futures = _run_batch(GroupCommitter(db.write_session_factory), units)
    assert futures[0].result() == "a"
    assert futures[1].result() == "b"
    with pytest.raises(IntegrityError):
        futures[2].result()
    assert futures[3].result() == "d"
    # The plain pass was rolled back and replayed with savepoints: nothing twice.
    assert _names(db) == ["a", "b", "d"]
    assert calls == ["a", "b", "a", "a", "b", "a", "d"]


def test_db_group_commit_single_unit_error_reaches_caller(db: Database) -> None:
    def boom(s: Session) -> None:
        s.execute(text("INSERT INTO gc_items (name) VALUES ('x')"))
        raise ValueError("no")

    committer = GroupCommitter(db.write_session_factory)
    with pytest.raises(ValueError, match="no"):
        committer.run(boom)
    assert committer.run(_insert("y", [])) == "y"
    committer.stop()
    assert _names(db) == ["y"]
