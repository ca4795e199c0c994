"""Migrations run on both backends and match the declared tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from vigie.migrate import downgrade, upgrade
from vigie.models import metadata
from vigie.reports.search import is_search_object


def test_db_migrations_match_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        # The word search's FTS5 table and trigram indexes are the migrations' own (reports/search.py).
        context = MigrationContext.configure(
            conn, opts={"include_name": lambda name, *_: not is_search_object(name)}
        )
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], diff


def test_db_migrations_downgrade_and_upgrade_again(database_url):
    downgrade(database_url, "base")
    engine = create_engine(database_url)
    assert "reports" not in inspect(engine).get_table_names()
    upgrade(database_url)
    assert "reports" in inspect(engine).get_table_names()
    engine.dispose()
