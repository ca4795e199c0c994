"""mail_consents; notification_outbox.kind and .token

Revision ID: 0011
Revises: 0010

Follows by e-mail need a confirmation (issue 15): ``mail_consents`` records, per
subscription (tracking token), when its address confirmed and whether it asked
to stop. Followers who followed before confirmations existed keep their e-mails:
they get a confirmed row here (every e-mail they get now carries a stop link).
The outbox learns what each message is (``kind``) and which subscription it
belongs to (``token``, for its stop link).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_consents")),
        sa.UniqueConstraint("token", name=op.f("uq_mail_consents_token")),
    )
    with op.batch_alter_table("mail_consents", schema=None) as batch_op:
        batch_op.create_index("ix_mail_consents_address", ["address_hash"], unique=False)
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="update", nullable=False))
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    _grandfather_followers()


def _grandfather_followers() -> None:
    import hashlib
    from datetime import UTC, datetime

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT token, email FROM report_followers WHERE email <> ''")).all()
    if not rows:
        return
    now = datetime.now(UTC)
    consents = sa.table(
        "mail_consents",
        sa.column("token", sa.String),
        sa.column("address_hash", sa.String),
        sa.column("confirmed_at", vigie.db.UTCDateTime(timezone=True)),
        sa.column("created_at", vigie.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        consents,
        [
            {
                "token": token,
                "address_hash": hashlib.sha256(email.strip().casefold().encode()).hexdigest(),
                "confirmed_at": now,
                "created_at": now,
            }
            for token, email in rows
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("token")
        batch_op.drop_column("kind")
    with op.batch_alter_table("mail_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_consents_address")
    op.drop_table("mail_consents")
