"""The register of image extractions: its own role keeps and reads it, and every reading
is audited (who opened the register or an entry, when).

An extraction answers a judicial or administrative requisition: who asked (the
authority and the requisition's reference), who extracted, when, which cameras
and time span, on what medium, and when the copy is destroyed. Entries are not
deleted; the destruction of the medium is recorded on its entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.changes import Logged
from vigie.runtime import Vigie
from vigie.videoprotection import domain
from vigie.videoprotection.domain import ExtractionDraft
from vigie.videoprotection.storage import VideoCameraRow, VideoExtractionRow, VideoSiteRow


def extraction_view(r: VideoExtractionRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "requisition_kind": r.requisition_kind,
        "requisition_reference": r.requisition_reference,
        "requisition_date": r.requisition_date.isoformat(),
        "requester": r.requester,
        "extracted_by": r.extracted_by,
        "extracted_at": r.extracted_at.isoformat(),
        "cameras": list(r.cameras or []),
        "span_start": r.span_start.isoformat(),
        "span_end": r.span_end.isoformat(),
        "medium": r.medium,
        "medium_reference": r.medium_reference,
        "destruction_due": r.destruction_due.isoformat() if r.destruction_due else None,
        "destroyed_at": r.destroyed_at.isoformat() if r.destroyed_at else None,
        "destroyed_by": r.destroyed_by,
        "note": r.note,
    }


def do_register_extraction(
    v: Vigie, agent: Agent | None, draft: ExtractionDraft, now: datetime | None = None
) -> dict[str, Any]:
    """Write an extraction in the register, and its entry in the operations log."""
    agent = require(agent, "video.extractions")
    now = now or utcnow()
    d = domain.check_extraction(draft, now)
    with v.db.session(write=True) as s:
        found = dict(
            s.execute(
                select(AssetRow.id, VideoSiteRow.retention_days)
                .outerjoin(VideoCameraRow, VideoCameraRow.asset_id == AssetRow.id)
                .outerjoin(VideoSiteRow, VideoSiteRow.id == VideoCameraRow.site_id)
                .where(AssetRow.id.in_(d.cameras), AssetRow.type == "camera")
            ).all()
        )
        missing = [c for c in d.cameras if c not in found]
        if missing:
            raise ValidationFailed(f"no camera with id {', '.join(missing[:10])}", field="cameras")
        # Images older than their site's retention period no longer exist.
        for camera, days in found.items():
            if days is not None and d.span_start < now - timedelta(days=days):
                raise ValidationFailed(
                    f"{camera} keeps its images {days} days: the span starts before that", field="span_start"
                )
        row = VideoExtractionRow(
            requisition_kind=d.requisition_kind,
            requisition_reference=d.requisition_reference,
            requisition_date=d.requisition_date,
            requester=d.requester,
            extracted_by=agent.label,
            extracted_by_id=agent.id or None,
            extracted_at=now,
            cameras=d.cameras,
            span_start=d.span_start,
            span_end=d.span_end,
            medium=d.medium,
            medium_reference=d.medium_reference,
            destruction_due=d.destruction_due,
            note=d.note,
            created_at=now,
        )
        s.add(row)
        s.flush()
        do_audit(
            s, agent, "video.extraction.registered", "video_extraction", str(row.id), {"cameras": d.cameras}
        )
        kind_fr, kind_en = domain.REQUISITIONS[d.requisition_kind]
        n = len(d.cameras)
        v.messages.stage(
            s,
            Logged(
                service="video",
                kind="extraction.registered",
                text_fr=f"Extraction d'images n° {row.id} ({kind_fr.lower()} {d.requisition_reference}, "
                f"{n} caméra{'s' if n > 1 else ''})",
                text_en=f"Image extraction no. {row.id} ({kind_en.lower()} {d.requisition_reference}, "
                f"{n} camera{'s' if n > 1 else ''})",
                actor=agent.label,
                actor_id=agent.id or None,
                ref=f"extraction:{row.id}",
                severity="notable",
                visible_to="video.extractions",
                detail={"extraction_id": row.id},
            ),
        )
        s.commit()
        return extraction_view(row)


def list_register(v: Vigie, agent: Agent | None, q: str = "", limit: int = 500) -> list[dict[str, Any]]:
    """The register, newest first; the consultation is audited."""
    agent = require(agent, "video.extractions")
    with v.db.session(write=True) as s:
        stmt = select(VideoExtractionRow).order_by(
            VideoExtractionRow.extracted_at.desc(), VideoExtractionRow.id.desc()
        )
        rows = [extraction_view(r) for r in s.scalars(stmt.limit(limit))]
        do_audit(s, agent, "video.register.consulted", "video_register", "register", {"q": q[:100]})
        s.commit()
    if q:
        words = q.casefold().split()
        rows = [
            r
            for r in rows
            if all(
                w in f"{r['requisition_reference']} {r['requester']} {' '.join(r['cameras'])}".casefold()
                for w in words
            )
        ]
    return rows


def get_extraction(v: Vigie, agent: Agent | None, extraction_id: int) -> dict[str, Any]:
    agent = require(agent, "video.extractions")
    with v.db.session(write=True) as s:
        row = s.get(VideoExtractionRow, extraction_id)
        if row is None:
            raise NotFound(f"no extraction with id {extraction_id}")
        do_audit(s, agent, "video.extraction.consulted", "video_extraction", str(row.id), {})
        s.commit()
        return extraction_view(row)


def do_record_destruction(
    v: Vigie, agent: Agent | None, extraction_id: int, now: datetime | None = None
) -> dict[str, Any]:
    """The extracted copy was destroyed: recorded on its entry, audited and logged."""
    agent = require(agent, "video.extractions")
    now = now or utcnow()
    with v.db.session(write=True) as s:
        row = s.get(VideoExtractionRow, extraction_id)
        if row is None:
            raise NotFound(f"no extraction with id {extraction_id}")
        if row.destroyed_at is not None:
            raise Conflict("this extraction's copy is already recorded as destroyed", field="destroyed_at")
        row.destroyed_at, row.destroyed_by = now, agent.label
        do_audit(s, agent, "video.extraction.destroyed", "video_extraction", str(row.id), {})
        v.messages.stage(
            s,
            Logged(
                service="video",
                kind="extraction.destroyed",
                text_fr=f"Copie de l'extraction n° {row.id} détruite",
                text_en=f"Copy of extraction no. {row.id} destroyed",
                actor=agent.label,
                actor_id=agent.id or None,
                ref=f"extraction:{row.id}",
                visible_to="video.extractions",
            ),
        )
        s.commit()
        return extraction_view(row)
