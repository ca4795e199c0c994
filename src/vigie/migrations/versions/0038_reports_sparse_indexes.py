"""reports_sparse_indexes: the indexes of columns most reports leave empty hold only the others

Revision ID: 0038
Revises: 0037

Every report was written into ``ix_reports_duplicate_of``, ``ix_reports_assigned_user``
and ``ix_reports_reporter_email``, though their queries only ever look for a value:
a report merged into another (``duplicate_of_id = ?``), an agent's reports
(``assigned_user_id = ?``), a resident's e-mail address (erasure). Most reports have
none (an imported history: none at all), so each new report paid three B-tree inserts
of a NULL or an empty string. The three become partial indexes of the rows that hold
a value; the same queries use them (a comparison with a value implies the column is
not NULL; the erasure states ``reporter_email != ''``). The e-mail index was not used
at all before: the erasure compared ``lower(reporter_email)``, which a plain index
cannot serve (addresses are stored lower-cased by ``check_email``; it now compares
the column itself). docs/benchmarks.md, issue 14, "the indexes of reports".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

SPARSE = {
    "ix_reports_duplicate_of": ("duplicate_of_id", "duplicate_of_id IS NOT NULL"),
    "ix_reports_assigned_user": ("assigned_user_id", "assigned_user_id IS NOT NULL"),
    "ix_reports_reporter_email": ("reporter_email", "reporter_email != ''"),
}


def upgrade() -> None:
    for name, (column, where) in SPARSE.items():
        op.drop_index(name, table_name="reports")
        op.create_index(
            name, "reports", [column], sqlite_where=sa.text(where), postgresql_where=sa.text(where)
        )


def downgrade() -> None:
    for name, (column, _) in SPARSE.items():
        op.drop_index(name, table_name="reports")
        op.create_index(name, "reports", [column])
