"""report_search: indexes for the control room's word search

Revision ID: 0034
Revises: 0033

The queue's search by words read every open report's description and address
(``lower(…) LIKE '%words%'``). SQLite gets an FTS5 table with the trigram
tokenizer whose content is the reports table (kept in step by triggers) and
PostgreSQL pg_trgm GIN indexes on the two columns (vigie/reports/search.py
writes the queries). Existing reports are indexed here.
"""

from __future__ import annotations

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE reports_search USING fts5("
    "description, address, content='reports', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER reports_search_insert AFTER INSERT ON reports BEGIN "
    "INSERT INTO reports_search (rowid, description, address) "
    "VALUES (new.id, new.description, new.address); END",
    "CREATE TRIGGER reports_search_delete AFTER DELETE ON reports BEGIN "
    "INSERT INTO reports_search (reports_search, rowid, description, address) "
    "VALUES ('delete', old.id, old.description, old.address); END",
    "CREATE TRIGGER reports_search_update AFTER UPDATE OF description, address ON reports BEGIN "
    "INSERT INTO reports_search (reports_search, rowid, description, address) "
    "VALUES ('delete', old.id, old.description, old.address); "
    "INSERT INTO reports_search (rowid, description, address) "
    "VALUES (new.id, new.description, new.address); END",
    "INSERT INTO reports_search (reports_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS reports_search_update",
    "DROP TRIGGER IF EXISTS reports_search_delete",
    "DROP TRIGGER IF EXISTS reports_search_insert",
    "DROP TABLE IF EXISTS reports_search",
]
POSTGRES_UP = [
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_reports_description_trgm ON reports USING gin (description gin_trgm_ops)",
    "CREATE INDEX ix_reports_address_trgm ON reports USING gin (address gin_trgm_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_reports_address_trgm",
    "DROP INDEX IF EXISTS ix_reports_description_trgm",
]


def upgrade() -> None:
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
