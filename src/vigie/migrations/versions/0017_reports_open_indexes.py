"""reports: partial indexes over the open reports, for the control room at full scale

Revision ID: 0017
Revises: 0016

The queue pages, sorts and counts the open reports (a tenth of a city's
history) on the server, and its map clusters them: each of these indexes
holds only open rows, with the columns the usual filters read, so a page, a
count or a map view reads the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'acknowledged', 'assigned', 'in_progress', 'reopened')"
INDEXES = {
    "ix_reports_open_requested": [
        "requested_at",
        "id",
        "service_group",
        "zone",
        "priority",
        "expected_at",
        "status",
    ],
    "ix_reports_open_expected": ["expected_at", "id", "service_group", "zone", "priority", "status"],
    "ix_reports_open_lat_long": ["lat", "long", "service_group", "zone", "priority", "public", "status"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "reports", columns, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="reports")
