"""telemetry (latest state, samples, hourly aggregates, dead letters, commands,
lighting schedules) and alarms (alarms, history, links to reports)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lighting_schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("on_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("off_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("dim_start", sa.String(length=5), nullable=False),
        sa.Column("dim_end", sa.String(length=5), nullable=False),
        sa.Column("dim_level", sa.Float(), nullable=False),
        sa.Column("off_start", sa.String(length=5), nullable=False),
        sa.Column("off_end", sa.String(length=5), nullable=False),
        sa.Column("last_sent_for", sa.String(length=10), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lighting_schedules")),
    )
    op.create_table(
        "telemetry_commands",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_commands")),
    )
    with op.batch_alter_table("telemetry_commands", schema=None) as batch_op:
        batch_op.create_index("ix_telemetry_commands_asset", ["asset_id", "created_at"], unique=False)
        batch_op.create_index("ix_telemetry_commands_status", ["status", "created_at"], unique=False)

    op.create_table(
        "telemetry_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_dead_letters")),
    )
    with op.batch_alter_table("telemetry_dead_letters", schema=None) as batch_op:
        batch_op.create_index("ix_telemetry_dead_letters_reason", ["reason", "received_at"], unique=False)
        batch_op.create_index("ix_telemetry_dead_letters_received", ["received_at"], unique=False)

    op.create_table(
        "telemetry_hourly",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("hour_ms", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("last", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("asset_id", "hour_ms", "metric", name=op.f("pk_telemetry_hourly")),
    )
    with op.batch_alter_table("telemetry_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_telemetry_hourly_hour", ["hour_ms"], unique=False)

    op.create_table(
        "telemetry_latest",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("ts", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_telemetry_latest")),
    )
    op.create_table(
        "telemetry_samples",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "ts_ms", name=op.f("pk_telemetry_samples")),
    )
    with op.batch_alter_table("telemetry_samples", schema=None) as batch_op:
        batch_op.create_index("ix_telemetry_samples_ts", ["ts_ms"], unique=False)

    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("asset_type", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("long", sa.Float(), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_key", sa.String(length=160), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=False),
        sa.Column("cleared_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=120), nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_label", sa.String(length=120), nullable=False),
        sa.Column("escalate_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_alarms_assignee_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
        sa.UniqueConstraint("active_key", name=op.f("uq_alarms_active_key")),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index("ix_alarms_active_severity", ["active", "severity"], unique=False)
        batch_op.create_index("ix_alarms_asset", ["asset_id", "first_seen"], unique=False)
        batch_op.create_index("ix_alarms_escalate", ["active", "escalated", "escalate_at"], unique=False)
        batch_op.create_index("ix_alarms_lat_long", ["lat", "long"], unique=False)
        batch_op.create_index("ix_alarms_type", ["type", "first_seen"], unique=False)
        batch_op.create_index("ix_alarms_zone", ["zone", "first_seen"], unique=False)

    op.create_table(
        "alarm_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_alarm_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_events_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_events")),
    )
    with op.batch_alter_table("alarm_events", schema=None) as batch_op:
        batch_op.create_index("ix_alarm_events_alarm", ["alarm_id", "id"], unique=False)

    op.create_table(
        "alarm_report_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("linked_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"],
            ["alarms.id"],
            name=op.f("fk_alarm_report_links_alarm_id_alarms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_alarm_report_links_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_report_links")),
        sa.UniqueConstraint("alarm_id", "report_id", name="uq_alarm_report_links_pair"),
    )
    with op.batch_alter_table("alarm_report_links", schema=None) as batch_op:
        batch_op.create_index("ix_alarm_report_links_report", ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_report_links", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_report_links_report")

    op.drop_table("alarm_report_links")
    with op.batch_alter_table("alarm_events", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_events_alarm")

    op.drop_table("alarm_events")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index("ix_alarms_zone")
        batch_op.drop_index("ix_alarms_type")
        batch_op.drop_index("ix_alarms_lat_long")
        batch_op.drop_index("ix_alarms_escalate")
        batch_op.drop_index("ix_alarms_asset")
        batch_op.drop_index("ix_alarms_active_severity")

    op.drop_table("alarms")
    with op.batch_alter_table("telemetry_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_telemetry_samples_ts")

    op.drop_table("telemetry_samples")
    op.drop_table("telemetry_latest")
    with op.batch_alter_table("telemetry_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_telemetry_hourly_hour")

    op.drop_table("telemetry_hourly")
    with op.batch_alter_table("telemetry_dead_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_telemetry_dead_letters_received")
        batch_op.drop_index("ix_telemetry_dead_letters_reason")

    op.drop_table("telemetry_dead_letters")
    with op.batch_alter_table("telemetry_commands", schema=None) as batch_op:
        batch_op.drop_index("ix_telemetry_commands_status")
        batch_op.drop_index("ix_telemetry_commands_asset")

    op.drop_table("telemetry_commands")
    op.drop_table("lighting_schedules")
