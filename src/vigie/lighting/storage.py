"""Tables of the lighting context."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class SwitchOffRow(Base):
    """A commune's part-night switch-off: the mayor's choice, recorded, not a national rule."""

    __tablename__ = "lighting_switch_off"

    zone: Mapped[str] = mapped_column(String(32), primary_key=True)
    off_start: Mapped[str] = mapped_column(String(5))  # local HH:MM
    off_end: Mapped[str] = mapped_column(String(5))
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
