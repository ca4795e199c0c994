"""telemetry: lighter writes on PostgreSQL (BRIN time index, room for HOT updates)

Revision ID: 0006
Revises: 0005

At 20,000 messages/s every sample row also went into a btree on ``ts_ms``, and
every latest-state update moved its row to a new page: the WAL grew past
``max_wal_size`` within a minute and the checkpoints that followed delayed the
alarm commits. Samples arrive in time order, so a BRIN index (a few pages,
rarely written) serves the retention and time-window scans; ``telemetry_latest``
keeps half of each page free so its updates stay on the page (HOT). SQLite has
neither: its tables are unchanged.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_telemetry_samples_ts", table_name="telemetry_samples")
    # Without autosummarize: at thousands of samples a second its requests overflow
    # autovacuum's work-item queue (a log line each); VACUUM summarises the ranges.
    op.create_index("ix_telemetry_samples_ts", "telemetry_samples", ["ts_ms"], postgresql_using="brin")
    op.execute("ALTER TABLE telemetry_latest SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE telemetry_latest RESET (fillfactor)")
    op.drop_index("ix_telemetry_samples_ts", table_name="telemetry_samples")
    op.create_index("ix_telemetry_samples_ts", "telemetry_samples", ["ts_ms"])
