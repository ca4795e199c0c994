"""lab_queries: the data lab's saved and shared queries

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_queries",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_queries")),
    )


def downgrade() -> None:
    op.drop_table("lab_queries")
