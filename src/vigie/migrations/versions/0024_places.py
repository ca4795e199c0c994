"""places: points of interest imported from the city's files

Revision ID: 0024
Revises: 0023

See ``vigie.places.storage``: one row per place, its id stable across imports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("theme", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("commune", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("hours", sa.String(length=500), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    op.create_index(op.f("ix_places_source"), "places", ["source"], unique=False)
    op.create_index("ix_places_theme_name", "places", ["theme", "name"], unique=False)
    op.create_index("ix_places_lat_lon", "places", ["lat", "lon"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_places_lat_lon", table_name="places")
    op.drop_index("ix_places_theme_name", table_name="places")
    op.drop_index(op.f("ix_places_source"), table_name="places")
    op.drop_table("places")
