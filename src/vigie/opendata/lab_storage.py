"""Saved data lab queries: a title, the SQL, and the random id of their permalink."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class LabQueryRow(Base):
    __tablename__ = "lab_queries"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    sql: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["LabQueryRow"]
