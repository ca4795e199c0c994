"""residents: optional resident accounts (sign-in links, sessions, reports, favourites, reminders)

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vigie.db import UTCDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_in_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("email", name=op.f("uq_residents_email")),
    )
    op.create_table(
        "resident_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_resident_sign_in_links_token_hash")),
    )
    op.create_index("ix_resident_sign_in_links_expires", "resident_sign_in_links", ["expires_at"])
    for table, columns, extra in _owned():
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
            sa.Column(
                "resident_id",
                sa.Integer(),
                sa.ForeignKey(
                    "residents.id", ondelete="CASCADE", name=op.f(f"fk_{table}_resident_id_residents")
                ),
                nullable=False,
            ),
            *columns,
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            *extra,
        )
    op.create_index("ix_resident_sessions_resident", "resident_sessions", ["resident_id"])


def _owned() -> list[tuple[str, list[sa.Column], list[sa.Constraint]]]:  # type: ignore[type-arg]
    when = UTCDateTime(timezone=True)
    return [
        (
            "resident_sessions",
            [
                sa.Column("token_hash", sa.String(64), nullable=False),
                sa.Column("csrf_token", sa.String(64), nullable=False),
                sa.Column("created_at", when, nullable=False),
                sa.Column("expires_at", when, nullable=False),
            ],
            [sa.UniqueConstraint("token_hash", name=op.f("uq_resident_sessions_token_hash"))],
        ),
        (
            "resident_reports",
            [
                sa.Column("token", sa.String(64), nullable=False),
                sa.Column("role", sa.String(8), nullable=False),
                sa.Column("report_id", sa.Integer(), nullable=False),
                sa.Column("added_at", when, nullable=False),
            ],
            [sa.UniqueConstraint("resident_id", "token", name="uq_resident_reports_token")],
        ),
        (
            "resident_favourites",
            [
                sa.Column("kind", sa.String(8), nullable=False),
                sa.Column("ref", sa.String(200), nullable=False),
                sa.Column("label", sa.String(300), nullable=False),
                sa.Column("lat", sa.Float(), nullable=True),
                sa.Column("lon", sa.Float(), nullable=True),
                sa.Column("added_at", when, nullable=False),
            ],
            [sa.UniqueConstraint("resident_id", "kind", "ref", name="uq_resident_favourites_ref")],
        ),
        (
            "resident_reminders",
            [
                sa.Column("label", sa.String(300), nullable=False),
                sa.Column("citycode", sa.String(10), nullable=False),
                sa.Column("street", sa.String(200), nullable=False),
                sa.Column("streams", sa.JSON(), nullable=False),
                sa.Column("at", sa.String(5), nullable=False),
                sa.Column("token", sa.String(64), nullable=False),
                sa.Column("last_for", sa.Date(), nullable=True),
                sa.Column("created_at", when, nullable=False),
            ],
            [
                sa.UniqueConstraint("token", name=op.f("uq_resident_reminders_token")),
                sa.UniqueConstraint(
                    "resident_id", "citycode", "street", name="uq_resident_reminders_address"
                ),
            ],
        ),
    ]


def downgrade() -> None:
    op.drop_index("ix_resident_sessions_resident", table_name="resident_sessions")
    for table in ("resident_reminders", "resident_favourites", "resident_reports", "resident_sessions"):
        op.drop_table(table)
    op.drop_index("ix_resident_sign_in_links_expires", table_name="resident_sign_in_links")
    op.drop_table("resident_sign_in_links")
    op.drop_table("residents")
