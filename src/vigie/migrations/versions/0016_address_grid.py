"""addresses: grid keys for searches around a centre and for reverse geocoding

Revision ID: 0016
Revises: 0015

``address_points.strip`` (1/200 degree of longitude) with an index on
``(strip, lat)`` replaces the ``(lat, lon)`` index, which read every point of a
latitude band across the whole gazetteer; ``address_tokens.cell`` (the place's
tenth-of-a-degree square) with an index on ``(cell, token)`` lets a search
with a centre read only the entries around it. Existing rows get their keys
computed with the same truncation as ``vigie.addresses.domain``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _int(expr: str) -> str:
    # Truncation toward zero on both backends, as Python's int().
    return f"CAST({expr} AS INTEGER)" if op.get_bind().dialect.name == "sqlite" else f"trunc({expr})::integer"


def upgrade() -> None:
    with op.batch_alter_table("address_points") as batch:
        batch.add_column(sa.Column("strip", sa.Integer(), nullable=False, server_default="0"))
    op.execute(f"UPDATE address_points SET strip = {_int('lon * 200')}")  # noqa: S608
    op.drop_index("ix_address_points_lat_lon", table_name="address_points")
    op.create_index("ix_address_points_strip_lat", "address_points", ["strip", "lat"], unique=False)
    with op.batch_alter_table("address_tokens") as batch:
        batch.add_column(sa.Column("cell", sa.Integer(), nullable=False, server_default="0"))
    cell = f"({_int('p.lat * 10')} + 1000) * 10000 + {_int('p.lon * 10')} + 2000"
    op.execute(
        f"UPDATE address_tokens SET cell = (SELECT {cell} FROM address_places p "  # noqa: S608
        "WHERE p.id = address_tokens.place_id)"
    )
    op.create_index("ix_address_tokens_cell_token", "address_tokens", ["cell", "token"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_address_tokens_cell_token", table_name="address_tokens")
    with op.batch_alter_table("address_tokens") as batch:
        batch.drop_column("cell")
    op.drop_index("ix_address_points_strip_lat", table_name="address_points")
    with op.batch_alter_table("address_points") as batch:
        batch.drop_column("strip")
    op.create_index("ix_address_points_lat_lon", "address_points", ["lat", "lon"], unique=False)
