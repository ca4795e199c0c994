"""opendata: datasets, releases, ethics review proposals, comments, votes, committee

Revision ID: 0019
Revises: 0018

Open data (issue 17): a dataset's metadata, columns and approved rules; each
release attempt (published with a version and its Parquet file's key, or
blocked with the reason); the ethics committee's proposals, comments, votes
and members.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigie.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opendata_datasets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=True),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_datasets")),
    )
    op.create_table(
        "opendata_committee",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_opendata_committee_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_opendata_committee")),
    )
    op.create_table(
        "opendata_proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", vigie.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_proposals_dataset_id_opendata_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_opendata_proposals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_opendata_proposals_proposed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_proposals")),
    )
    with op.batch_alter_table("opendata_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_opendata_proposals_dataset", ["dataset_id", "status"], unique=False)

    op.create_table(
        "opendata_releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_key", sa.String(length=255), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_releases_dataset_id_opendata_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_releases")),
        sa.UniqueConstraint("dataset_id", "version", name="uq_opendata_release_version"),
    )
    with op.batch_alter_table("opendata_releases", schema=None) as batch_op:
        batch_op.create_index("ix_opendata_releases_dataset", ["dataset_id", "id"], unique=False)

    op.create_table(
        "opendata_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_opendata_comments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["opendata_proposals.id"],
            name=op.f("fk_opendata_comments_proposal_id_opendata_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_comments")),
    )
    with op.batch_alter_table("opendata_comments", schema=None) as batch_op:
        batch_op.create_index("ix_opendata_comments_proposal", ["proposal_id"], unique=False)

    op.create_table(
        "opendata_votes",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("vote", sa.String(length=16), nullable=False),
        sa.Column("created_at", vigie.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["opendata_proposals.id"],
            name=op.f("fk_opendata_votes_proposal_id_opendata_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], name=op.f("fk_opendata_votes_voter_id_users")),
        sa.PrimaryKeyConstraint("proposal_id", "voter_id", name=op.f("pk_opendata_votes")),
    )


def downgrade() -> None:
    op.drop_table("opendata_votes")
    with op.batch_alter_table("opendata_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_opendata_comments_proposal")

    op.drop_table("opendata_comments")
    with op.batch_alter_table("opendata_releases", schema=None) as batch_op:
        batch_op.drop_index("ix_opendata_releases_dataset")

    op.drop_table("opendata_releases")
    with op.batch_alter_table("opendata_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_opendata_proposals_dataset")

    op.drop_table("opendata_proposals")
    op.drop_table("opendata_committee")
    op.drop_table("opendata_datasets")
