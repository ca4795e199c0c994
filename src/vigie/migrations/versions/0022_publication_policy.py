"""reports: moderation and erasure columns; report_photos.moderation; erasure requests

Revision ID: 0022
Revises: 0021

The city's publication policy (city/publication.py) shows a report's text and
photos after an operator's check: ``public_checked_at``, ``public_description``
(the text the public reads instead of the resident's) and each photo's
``moderation``. ``erased_at`` marks the tombstone left by an erasure, and
``erasure_requests`` holds the requests confirmed by e-mail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigie.db import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("public_description", sa.Text(), nullable=True))
        batch.add_column(sa.Column("public_checked_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("report_photos") as batch:
        batch.add_column(sa.Column("moderation", sa.String(length=16), nullable=False, server_default=""))
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
        sa.UniqueConstraint("token", name=op.f("uq_erasure_requests_token")),
    )
    op.create_index("ix_erasure_requests_address", "erasure_requests", ["address_hash"])
    # Erasure finds a resident's reports and follows by address.
    op.create_index("ix_reports_reporter_email", "reports", ["reporter_email"])
    op.create_index("ix_report_followers_email", "report_followers", ["email"])
    op.create_index("ix_notification_outbox_recipient", "notification_outbox", ["recipient"])


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_recipient", "notification_outbox")
    op.drop_index("ix_report_followers_email", "report_followers")
    op.drop_index("ix_reports_reporter_email", "reports")
    op.drop_index("ix_erasure_requests_address", "erasure_requests")
    op.drop_table("erasure_requests")
    with op.batch_alter_table("report_photos") as batch:
        batch.drop_column("moderation")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("public_checked_at")
        batch.drop_column("public_description")
