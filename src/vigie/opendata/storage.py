"""Tables of the open data context: datasets, releases, ethics review, committee.

A release's rows are not here: they are a Parquet file in the release store
(:mod:`vigie.opendata.files`); a release row says where, and what the
charter's checks found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base, UTCDateTime


class DatasetRow(Base):
    __tablename__ = "opendata_datasets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    source: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # draft -> in_review -> approved; a proposal of changed rules keeps it approved on its old rules.
    status: Mapped[str] = mapped_column(String(16), default="draft")
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # approved by the committee
    rules_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReleaseRow(Base):
    """One attempt to publish a dataset: published (with a version and a file) or blocked."""

    __tablename__ = "opendata_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("opendata_datasets.id", ondelete="CASCADE"))
    version: Mapped[int | None] = mapped_column(Integer)  # 1, 2, … for published releases only
    status: Mapped[str] = mapped_column(String(16))  # published, blocked, expired
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was blocked (English)
    # The same as codes and values, [{"code", "params"}], shown in the reader's language
    # (charter.reason_texts); None on releases blocked before they were kept (their text is shown).
    reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    file_key: Mapped[str] = mapped_column(String(255), default="")
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rules_version: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")  # the changelog line
    trigger: Mapped[str] = mapped_column(String(16), default="demand")  # demand, schedule
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("dataset_id", "version", name="uq_opendata_release_version"),
        Index("ix_opendata_releases_dataset", "dataset_id", "id"),
    )


class ProposalRow(Base):
    """A new dataset or a change of its rules, put to the ethics committee."""

    __tablename__ = "opendata_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("opendata_datasets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # new, rules
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, approved, rejected
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reasons: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_opendata_proposals_dataset", "dataset_id", "status"),)


class CommentRow(Base):
    __tablename__ = "opendata_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("opendata_proposals.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_opendata_comments_proposal", "proposal_id"),)


class VoteRow(Base):
    __tablename__ = "opendata_votes"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("opendata_proposals.id", ondelete="CASCADE"), primary_key=True
    )
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    vote: Mapped[str] = mapped_column(String(16))  # approve, reject, abstain
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommitteeMemberRow(Base):
    __tablename__ = "opendata_committee"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
