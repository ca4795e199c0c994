"""report_updates_sender_hash: a resident's e-mail reply joined to a report records who sent it

Revision ID: 0039
Revises: 0038

A reply by e-mail joins a report's history as an internal note (kind ``message``); nothing
tied the entry to its sender, so an erasure could not find the words a resident wrote there
(a follower's reply joins the report of someone else). The entry now keeps the sender's
address hash (``notifications.consent.address_hash``, the hash consents and erasure requests
keep), which the erasure empties with the text. Entries written before have none: an erasure
cannot find them (docs/notifications.md). Partial index: only these entries hold a value.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

WHERE = "sender_hash IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("report_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_hash", sa.String(64), nullable=True))
    op.create_index(
        "ix_report_updates_sender_hash",
        "report_updates",
        ["sender_hash"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_report_updates_sender_hash", table_name="report_updates")
    with op.batch_alter_table("report_updates", schema=None) as batch_op:
        batch_op.drop_column("sender_hash")
