"""Table of the operations log: one row per entry, never updated nor deleted.

The database refuses UPDATE and DELETE on it (triggers created by migration
0020), so that append-only holds whoever writes, not only through this code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class OplogEntryRow(Base):
    __tablename__ = "oplog_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    service: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16), default="info")
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    # Folded (lower case, no accents) text, actor and reference: what a search reads.
    search: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ref: Mapped[str] = mapped_column(String(64), default="")
    # The permission a reader needs (oplog.read for most entries).
    visible_to: Mapped[str] = mapped_column(String(64), default="oplog.read")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("oplog_entries.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_oplog_entries_at", "at", "id"),
        Index("ix_oplog_entries_service_at", "service", "at"),
        Index("ix_oplog_entries_corrects", "corrects_id"),
        Index("ix_oplog_entries_ref", "ref"),
    )
