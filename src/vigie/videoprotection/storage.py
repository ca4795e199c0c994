"""Tables of the video-protection context: sites, their cameras, compliance alerts, the
register of image extractions.

Cameras stay assets of the registry (telemetry and alarms need them); this context
keeps what the law asks of them: the site (system) each belongs to and its masks
and signage.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class VideoSiteRow(Base):
    """A video-protection system (site) and its prefectoral authorisation."""

    __tablename__ = "video_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(32), default="")  # commune code
    address: Mapped[str] = mapped_column(String(300), default="")
    # Where the site is (for the video-protection roles' map only, never published).
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    in_service_on: Mapped[date | None] = mapped_column(Date)
    authorisation_number: Mapped[str] = mapped_column(String(64), default="")
    authorisation_date: Mapped[date | None] = mapped_column(Date)
    authorisation_expiry: Mapped[date | None] = mapped_column(Date)
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # The person responsible (personal data: never published) and the service people
    # write to for their right of access (published, as on the signs).
    responsible_name: Mapped[str] = mapped_column(String(200), default="")
    responsible_service: Mapped[str] = mapped_column(String(200), default="")
    access_contact: Mapped[str] = mapped_column(String(300), default="")
    commission_opinion: Mapped[str] = mapped_column(String(32), default="")
    commission_date: Mapped[date | None] = mapped_column(Date)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_video_sites_expiry", "authorisation_expiry"),)


class VideoCameraRow(Base):
    """What the law asks of one camera (an asset of type ``camera``)."""

    __tablename__ = "video_cameras"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("video_sites.id"))
    # It sees private dwellings (windows, gardens): masks are then required.
    overlooks_private: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_masks: Mapped[bool] = mapped_column(Boolean, default=False)
    signage: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_video_cameras_site", "site_id"),)


class VideoAlertRow(Base):
    """A compliance alert, open while its cause lasts (one open alert per key)."""

    __tablename__ = "video_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(48))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("video_sites.id"))
    asset_id: Mapped[str] = mapped_column(String(64), default="")
    # "{kind}|{site or camera}" while open, NULL once closed (unique: one open alert each).
    open_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    severity: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_video_alerts_opened", "opened_at"),)


class VideoExtractionRow(Base):
    """One entry of the register of image extractions."""

    __tablename__ = "video_extractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requisition_kind: Mapped[str] = mapped_column(String(16))  # judicial, administrative
    requisition_reference: Mapped[str] = mapped_column(String(120))
    requisition_date: Mapped[date] = mapped_column(Date)
    requester: Mapped[str] = mapped_column(String(200))  # the authority (service, officer's quality)
    extracted_by: Mapped[str] = mapped_column(String(200))
    extracted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    extracted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cameras: Mapped[list[str]] = mapped_column(JSON, default=list)
    span_start: Mapped[datetime] = mapped_column(UTCDateTime)
    span_end: Mapped[datetime] = mapped_column(UTCDateTime)
    medium: Mapped[str] = mapped_column(String(32))
    medium_reference: Mapped[str] = mapped_column(String(120), default="")
    destruction_due: Mapped[date | None] = mapped_column(Date)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroyed_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_video_extractions_at", "extracted_at"),)
