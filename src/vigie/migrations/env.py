"""Alembic environment: the URL comes from Vigie's settings or the caller."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from vigie.models import metadata
from vigie.reports.search import is_search_object

config = context.config


def run() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        _run_with(conn)
    engine.dispose()


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """What autogenerate compares: the word search's objects are the migrations' own (reports/search.py)."""
    return not is_search_object(name)


def _run_with(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
