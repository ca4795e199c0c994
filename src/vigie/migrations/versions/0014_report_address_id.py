"""reports.address_id: the gazetteer's id of a report's address

Revision ID: 0014
Revises: 0013

Set when the address comes from the gazetteer (typed by id, geocoded from an
address string, or found under the report's point); Open311 ``address_id``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("address_id", sa.String(length=128), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("address_id")
