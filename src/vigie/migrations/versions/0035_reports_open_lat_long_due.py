"""reports_open_lat_long_due: the open reports' map index holds the due time

Revision ID: 0035
Revises: 0034

A map of the overdue (or due soon) open reports read each report's due time from
the table, several times slower than the same view of every open report, which
reads the index alone (docs/benchmarks.md, issue 14). The index now holds
``expected_at`` too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened')"
BEFORE = ["lat", "long", "service_group", "zone", "priority", "public", "status"]
AFTER = [*BEFORE, "expected_at"]


def _replace(columns: list[str]) -> None:
    op.drop_index("ix_reports_open_lat_long", table_name="reports")
    op.create_index(
        "ix_reports_open_lat_long",
        "reports",
        columns,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    _replace(BEFORE)
