"""reports: the status index in the lists' own order (status, requested_at, id, …)

Revision ID: 0008
Revises: 0007

Lists are ordered newest first with the id as tie-breaker. With the id right
after ``requested_at`` in the covering status index, each per-status walk
comes out of the index already in that order, and SQLite merges the walks
lazily under the page's LIMIT instead of materialising and sorting 101 rows
per status (figures in docs/benchmarks.md).
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("ix_reports_status_requested_at")
        batch_op.create_index(
            "ix_reports_status_requested_at",
            ["status", "requested_at", "id", "lat", "long", "public"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("ix_reports_status_requested_at")
        batch_op.create_index(
            "ix_reports_status_requested_at",
            ["status", "requested_at", "lat", "long", "public"],
            unique=False,
        )
