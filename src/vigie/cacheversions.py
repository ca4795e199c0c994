"""Versions of the data that processes cache, shared through the database.

A worker caches what is costly to build (the assets' map layers: 100,000 features)
under the version of the data it was built from, and checks that version on every
request. The version was ``count + max(updated_at)``: a write stamped by a node
whose clock is behind another's leaves the maximum where it was, and every worker,
of every node, went on serving the layer from before the write. Now each write to a
watched table also adds one to a counter row, in the same transaction: whoever reads
the counter after the commit sees the new version, whatever the clocks say, and no
notification can be missed (there is none to miss).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import BigInteger, Connection, String, select, text
from sqlalchemy.event import listen
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, sessionmaker

from vigie.db import Base

__all__ = ["CacheVersionRow", "bump", "read", "watch"]


class CacheVersionRow(Base):
    """One counter per kind of cached data (``assets``), made by its first write."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def bump(s: Session | Connection, name: str) -> None:
    """One more version of ``name``, committed (or not) with the caller's transaction."""
    # The same upsert on SQLite and PostgreSQL; on PostgreSQL the row stays locked until the
    # caller commits, so two writers of one kind of data take turns (such writes are rare).
    s.execute(
        text(
            "INSERT INTO cache_versions (name, version) VALUES (:n, 1) "
            "ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1"
        ),
        {"n": name},
    )


def read(s: Session, name: str) -> int:
    return int(s.scalar(select(CacheVersionRow.version).where(CacheVersionRow.name == name)) or 0)


def watch(factory: sessionmaker[Session], name: str, model: type[Any]) -> None:
    """Bump ``name`` in every transaction of ``factory``'s sessions that writes ``model``:
    objects added, changed or deleted, and ORM ``insert``/``update``/``delete`` statements."""
    table = model.__table__

    def before_flush(session: Session, context: Any, instances: Any) -> None:
        if session.info.get(name):
            return
        for obj in chain(session.new, session.dirty, session.deleted):
            if isinstance(obj, model):
                bump(session, name)
                session.info[name] = True  # once per transaction is enough
                return

    def on_execute(state: ORMExecuteState) -> None:
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        # ORM statements carry an annotated copy of the table: compare names.
        target = getattr(state.statement, "table", None)
        if getattr(target, "name", None) == table.name and not state.session.info.get(name):
            bump(state.session, name)
            state.session.info[name] = True

    listen(factory, "before_flush", before_flush)
    listen(factory, "do_orm_execute", on_execute)
    listen(factory, "after_commit", lambda session: session.info.pop(name, None))
    listen(factory, "after_rollback", lambda session: session.info.pop(name, None))
