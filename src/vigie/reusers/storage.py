"""The table of reusers' API keys.

A key is stored as the SHA-256 of its text (a key is 32 random bytes: no
dictionary to try, so a plain hash is enough and a lookup stays one indexed
read); its first characters (``prefix``) are kept to tell keys apart. The
reuser's address is personal data: staff pages show it, nothing else does,
and an erasure empties it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class ReuserKeyRow(Base):
    __tablename__ = "reuser_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # pending (asked, address not confirmed yet) -> active -> revoked
    status: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # None while pending
    prefix: Mapped[str] = mapped_column(String(16), default="")
    email: Mapped[str] = mapped_column(String(320))
    project: Mapped[str] = mapped_column(String(200), default="")
    lang: Mapped[str] = mapped_column(String(8), default="fr")
    # The confirmation link's token (pending keys only; emptied once used).
    confirm_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    per_minute: Mapped[int] = mapped_column(Integer)
    per_day: Mapped[int] = mapped_column(Integer)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")  # why it was revoked

    __table_args__ = (Index("ix_reuser_keys_status", "status", "created_at"),)
