"""videoprotection: sites with their prefectoral authorisation, cameras' masks and signage,
compliance alerts, the register of image extractions

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_sites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("long", sa.Float(), nullable=True),
        sa.Column("in_service_on", sa.Date(), nullable=True),
        sa.Column("authorisation_number", sa.String(length=64), nullable=False),
        sa.Column("authorisation_date", sa.Date(), nullable=True),
        sa.Column("authorisation_expiry", sa.Date(), nullable=True),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("responsible_name", sa.String(length=200), nullable=False),
        sa.Column("responsible_service", sa.String(length=200), nullable=False),
        sa.Column("access_contact", sa.String(length=300), nullable=False),
        sa.Column("commission_opinion", sa.String(length=32), nullable=False),
        sa.Column("commission_date", sa.Date(), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_video_sites_code")),
        sa.UniqueConstraint("external_id", name=op.f("uq_video_sites_external_id")),
    )
    with op.batch_alter_table("video_sites", schema=None) as batch_op:
        batch_op.create_index("ix_video_sites_expiry", ["authorisation_expiry"], unique=False)

    op.create_table(
        "video_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("open_key", sa.String(length=160), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("opened_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["video_sites.id"], name=op.f("fk_video_alerts_site_id_video_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_video_alerts_open_key")),
    )
    with op.batch_alter_table("video_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_video_alerts_opened", ["opened_at"], unique=False)

    op.create_table(
        "video_cameras",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("overlooks_private", sa.Boolean(), nullable=False),
        sa.Column("privacy_masks", sa.Boolean(), nullable=False),
        sa.Column("signage", sa.Boolean(), nullable=False),
        sa.Column("updated_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["video_sites.id"], name=op.f("fk_video_cameras_site_id_video_sites")
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_video_cameras")),
    )
    with op.batch_alter_table("video_cameras", schema=None) as batch_op:
        batch_op.create_index("ix_video_cameras_site", ["site_id"], unique=False)

    op.create_table(
        "video_extractions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requisition_kind", sa.String(length=16), nullable=False),
        sa.Column("requisition_reference", sa.String(length=120), nullable=False),
        sa.Column("requisition_date", sa.Date(), nullable=False),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("extracted_by", sa.String(length=200), nullable=False),
        sa.Column("extracted_by_id", sa.Integer(), nullable=True),
        sa.Column("extracted_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cameras", sa.JSON(), nullable=False),
        sa.Column("span_start", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("span_end", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("medium", sa.String(length=32), nullable=False),
        sa.Column("medium_reference", sa.String(length=120), nullable=False),
        sa.Column("destruction_due", sa.Date(), nullable=True),
        sa.Column("destroyed_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("destroyed_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extracted_by_id"], ["users.id"], name=op.f("fk_video_extractions_extracted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_extractions")),
    )
    with op.batch_alter_table("video_extractions", schema=None) as batch_op:
        batch_op.create_index("ix_video_extractions_at", ["extracted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("video_extractions", schema=None) as batch_op:
        batch_op.drop_index("ix_video_extractions_at")

    op.drop_table("video_extractions")
    with op.batch_alter_table("video_cameras", schema=None) as batch_op:
        batch_op.drop_index("ix_video_cameras_site")

    op.drop_table("video_cameras")
    with op.batch_alter_table("video_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_video_alerts_opened")

    op.drop_table("video_alerts")
    with op.batch_alter_table("video_sites", schema=None) as batch_op:
        batch_op.drop_index("ix_video_sites_expiry")

    op.drop_table("video_sites")
