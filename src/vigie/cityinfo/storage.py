"""Table of the information pages the city's staff write (sanitation, water works, opening hours…).

One row per page, its text in French and English (Markdown, rendered safely
on display), who changed it last and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class InfoPageRow(Base):
    __tablename__ = "info_pages"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body_fr: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


__all__ = ["InfoPageRow"]
