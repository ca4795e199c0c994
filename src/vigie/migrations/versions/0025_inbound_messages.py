"""inbound_messages: e-mails the city received and what became of them (Allo mairie)

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigie.db import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="SET NULL"), nullable=True),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("located", sa.String(16), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("message_id", name="uq_inbound_messages_message_id"),
    )
    op.create_index("ix_inbound_messages_report", "inbound_messages", ["report_id"])
    op.create_index("ix_inbound_messages_received", "inbound_messages", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_messages_received", table_name="inbound_messages")
    op.drop_index("ix_inbound_messages_report", table_name="inbound_messages")
    op.drop_table("inbound_messages")
