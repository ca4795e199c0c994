"""Tables of the gazetteer (the built-in geocoder's data).

- ``address_places``: a street (or a named place: a tram or bus stop) of one
  commune, with its display name, postcode, a centre, the extent of its
  address points (bounding box and a line through them in house-number
  order, for "which street is this?") and ``tokens``, its folded words
  between spaces (`` rue liberte dijon 21000 ``) that candidate places are
  checked against with ``LIKE``;
- ``address_points``: one numbered address (one point per address), with its
  longitude strip (the map's address layer reads the ``(strip, lat)`` index; reverse
  geocoding reads the points once into memory, :mod:`vigie.addresses.pointgrid`);
- ``address_tokens``: which places a word leads to (the search's entry), with the
  place's grid cell so that a search around a centre reads only nearby entries;
- ``address_token_stats``: how many places each word leads to, so a query
  starts from its rarest word.

Rows carry the ``source`` they were imported from: importing a source again
replaces its rows in one transaction.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base

# Token ranges ("lib" <= token < "lic") must compare bytes: C collation on PostgreSQL.
TOKEN = String(64).with_variant(String(64, collation="C"), "postgresql")


class AddressPlaceRow(Base):
    __tablename__ = "address_places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str] = mapped_column(String(128), index=True)  # public id ("21231_0470", BAN's)
    kind: Mapped[str] = mapped_column(String(16))  # street | poi
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), default="")  # poi: "arrêt de tram"…
    postcode: Mapped[str] = mapped_column(String(10), default="")
    citycode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    line: Mapped[str] = mapped_column(Text, default="")  # JSON [[lon, lat], …] in number order
    points: Mapped[int] = mapped_column(Integer, default=0)  # numbered addresses (importance)
    tokens: Mapped[str] = mapped_column(Text)


class AddressPointRow(Base):
    __tablename__ = "address_points"
    __table_args__ = (
        Index("ix_address_points_place_number", "place_id", "number"),
        Index("ix_address_points_strip_lat", "strip", "lat"),
    )

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    place_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    rep: Mapped[str] = mapped_column(String(16), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    strip: Mapped[int] = mapped_column(Integer)  # domain.strip_of(lon)


class AddressTokenRow(Base):
    __tablename__ = "address_tokens"
    __table_args__ = (Index("ix_address_tokens_cell_token", "cell", "token"),)

    token: Mapped[str] = mapped_column(TOKEN, primary_key=True)
    place_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell: Mapped[int] = mapped_column(Integer)  # the place's domain.cell_of


class AddressTokenStatRow(Base):
    __tablename__ = "address_token_stats"

    token: Mapped[str] = mapped_column(TOKEN, primary_key=True)
    places: Mapped[int] = mapped_column(Integer)


__all__ = ["AddressPlaceRow", "AddressPointRow", "AddressTokenRow", "AddressTokenStatRow"]
