"""opendata_release_reasons: why a release is blocked as codes with their values (rendered in
the reader's language); older releases keep only their English text, shown as it is

Revision ID: 0040
Revises: 0039
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opendata_releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opendata_releases", schema=None) as batch_op:
        batch_op.drop_column("reasons")
