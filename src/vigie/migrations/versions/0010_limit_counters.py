"""limit_counters: counters shared by every worker (login throttling, submission rates)

Revision ID: 0010
Revises: 0009

The database backend of the limits seam (``vigie.limits``). UNLOGGED on
PostgreSQL: counters are disposable, and skipping the WAL keeps a count to one
cheap statement. SQLite keeps its counters in a file of their own (see
``vigie.limits.storage``); the table is created here too so both backends have
the same schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "limit_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_limit_counters")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE limit_counters SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("limit_counters")
