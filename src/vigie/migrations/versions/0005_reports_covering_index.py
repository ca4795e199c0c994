"""reports: covering index for status + date + bounding-box lists

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("ix_reports_status_requested_at")
        batch_op.create_index(
            "ix_reports_status_requested_at",
            ["status", "requested_at", "lat", "long", "public"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("ix_reports_status_requested_at")
        batch_op.create_index("ix_reports_status_requested_at", ["status", "requested_at"], unique=False)
