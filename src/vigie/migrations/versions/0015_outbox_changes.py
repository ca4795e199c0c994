"""notification_outbox.changes: the changes an update tells, for the digest window

Revision ID: 0015
Revises: 0014

Changes to one report within ``VIGIE_MAIL_DIGEST_MINUTES`` of each other are
told in one e-mail: the pending row keeps the list of changes it tells, and a
later change rewrites it (see ``vigie.notifications.digest``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("changes")
