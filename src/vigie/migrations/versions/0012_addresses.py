"""addresses: the gazetteer of the built-in geocoder

Revision ID: 0012
Revises: 0011

Places (streets and named places) with their extent, address points, and the
word index the search starts from (see ``vigie.addresses.storage``). Tokens
compare bytewise on PostgreSQL (collation "C") so that a prefix is a range.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TOKEN = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "address_places",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("citycode", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_places")),
    )
    op.create_index(op.f("ix_address_places_source"), "address_places", ["source"], unique=False)
    op.create_index(op.f("ix_address_places_ref"), "address_places", ["ref"], unique=False)
    op.create_table(
        "address_points",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("rep", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_points")),
    )
    op.create_index(op.f("ix_address_points_source"), "address_points", ["source"], unique=False)
    op.create_index("ix_address_points_place_number", "address_points", ["place_id", "number"], unique=False)
    op.create_index("ix_address_points_lat_lon", "address_points", ["lat", "lon"], unique=False)
    op.create_table(
        "address_tokens",
        sa.Column("token", TOKEN, nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", "place_id", name=op.f("pk_address_tokens")),
    )
    op.create_table(
        "address_token_stats",
        sa.Column("token", TOKEN, nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_address_token_stats")),
    )


def downgrade() -> None:
    op.drop_table("address_token_stats")
    op.drop_table("address_tokens")
    op.drop_index("ix_address_points_lat_lon", table_name="address_points")
    op.drop_index("ix_address_points_place_number", table_name="address_points")
    op.drop_index(op.f("ix_address_points_source"), table_name="address_points")
    op.drop_table("address_points")
    op.drop_index(op.f("ix_address_places_ref"), table_name="address_places")
    op.drop_index(op.f("ix_address_places_source"), table_name="address_places")
    op.drop_table("address_places")
