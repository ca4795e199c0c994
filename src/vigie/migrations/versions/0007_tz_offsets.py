"""tz_offsets: UTC offsets of a time zone, for local dates written by SQLite

Revision ID: 0007
Revises: 0006

SQLite has no time zones. Open311 dates are the city's local time with its
offset; list pages written by the database (``vigie.sqljson``) look each
date's offset up here. Filled from Python's zoneinfo when first needed. The
table exists on PostgreSQL too (one schema), which converts with AT TIME ZONE.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tz_offsets",
        sa.Column("tz", sa.String(64), primary_key=True),
        sa.Column("since", sa.String(32), primary_key=True),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("tz_offsets")
