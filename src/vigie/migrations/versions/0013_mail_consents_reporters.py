"""mail_consents for the reporters of open reports made before receipts confirmed addresses

Revision ID: 0013
Revises: 0012

From now on a reporter is written to, beyond the receipt, only once their
address confirmed (issue 14 §5). Reporters of reports still open when this
runs were being told of their report's changes: they keep that (a confirmed
row), and every e-mail they get now carries a stop link.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT token, reporter_email FROM reports WHERE reporter_email <> '' "
            "AND status NOT IN ('resolved', 'rejected', 'duplicate') "
            "AND token NOT IN (SELECT token FROM mail_consents)"
        )
    ).all()
    now = datetime.now(UTC)
    consents = sa.table(
        "mail_consents",
        sa.column("token", sa.String),
        sa.column("address_hash", sa.String),
        sa.column("confirmed_at", vigie.db.UTCDateTime(timezone=True)),
        sa.column("created_at", vigie.db.UTCDateTime(timezone=True)),
    )
    for start in range(0, len(rows), CHUNK):
        op.bulk_insert(
            consents,
            [
                {
                    "token": token,
                    "address_hash": hashlib.sha256(email.strip().casefold().encode()).hexdigest(),
                    "confirmed_at": now,
                    "created_at": now,
                }
                for token, email in rows[start : start + CHUNK]
            ],
        )


def downgrade() -> None:
    pass  # the rows are consents like any other; 0011's downgrade drops the table
