"""Tables of the inbound e-mail context: what came in and what became of it.

``sender`` is personal data: shown to agents on the report's page, never logged
nor public. ``reason`` says why a message was ignored or refused, without
personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class InboundMessageRow(Base):
    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Message-ID without brackets (a digest of the bytes when missing): one outcome per message.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    via: Mapped[str] = mapped_column(String(8))  # smtp | imap
    sender: Mapped[str] = mapped_column(String(320), default="")  # private
    verdict: Mapped[str] = mapped_column(String(8), default="none")  # SPF/DKIM/DMARC: pass | fail | none
    outcome: Mapped[str] = mapped_column(String(16))  # report | reply | ignored | refused
    reason: Mapped[str] = mapped_column(String(300), default="")
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), nullable=True
    )
    # What the control room is offered to confirm: services suggested, where the place came from.
    suggestions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    located: Mapped[str] = mapped_column(String(16), default="")  # photo | text | zone | none
    answered: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_inbound_messages_report", "report_id"),
        Index("ix_inbound_messages_received", "received_at"),
    )


__all__ = ["InboundMessageRow"]
