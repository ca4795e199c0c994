"""oplog: the operations log (main courante), append-only

Revision ID: 0020
Revises: 0019

Entries are never changed: a correction is a new entry referencing the old
one. Triggers make the database itself refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigie.db import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION oplog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'oplog_entries is append-only: write a correction instead';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "oplog_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("visible_to", sa.String(64), nullable=False),
        sa.Column("corrects_id", sa.Integer(), sa.ForeignKey("oplog_entries.id"), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_oplog_entries_at", "oplog_entries", ["at", "id"])
    op.create_index("ix_oplog_entries_service_at", "oplog_entries", ["service", "at"])
    op.create_index("ix_oplog_entries_corrects", "oplog_entries", ["corrects_id"])
    op.create_index("ix_oplog_entries_ref", "oplog_entries", ["ref"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER oplog_entries_append_only BEFORE UPDATE OR DELETE ON oplog_entries "
            "FOR EACH ROW EXECUTE FUNCTION oplog_append_only()"
        )
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER oplog_entries_no_{what.lower()} BEFORE {what} ON oplog_entries "
                "BEGIN SELECT RAISE(ABORT, 'oplog_entries is append-only: write a correction instead'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER oplog_entries_append_only ON oplog_entries")
        op.execute("DROP FUNCTION oplog_append_only()")
    op.drop_table("oplog_entries")
