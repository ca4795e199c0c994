"""Use cases of video protection: sites and their authorisation, cameras, compliance.

Every opening of a site's or a camera's detail is audited (who, when, what) in the
same transaction as the reading's record, and so is the register (register.py).
Cameras are assets of the registry, which hides them from everyone else
(``AssetType.restricted_to``); this context reads them through assets.storage.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.accounts.storage import AuditRow
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.changes import Logged
from vigie.runtime import Vigie
from vigie.videoprotection import domain
from vigie.videoprotection.domain import ALERTS, SiteDraft
from vigie.videoprotection.storage import VideoAlertRow, VideoCameraRow, VideoSiteRow

CAMERA_TYPE = "camera"
NOT_FILMING = ("planned", "removed")


def today_in(v: Vigie, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(v.city.timezone).date()


# --- sites ----------------------------------------------------------------------------------


def site_view(row: VideoSiteRow, today: date, cameras: int | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "zone": row.zone,
        "address": row.address,
        "lat": row.lat,
        "long": row.long,
        "in_service_on": _iso(row.in_service_on),
        "authorisation_number": row.authorisation_number,
        "authorisation_date": _iso(row.authorisation_date),
        "authorisation_expiry": _iso(row.authorisation_expiry),
        "state": domain.site_state(row.authorisation_expiry, row.authorisation_number, today),
        "purposes": list(row.purposes or []),
        "retention_days": row.retention_days,
        "responsible_name": row.responsible_name,
        "responsible_service": row.responsible_service,
        "access_contact": row.access_contact,
        "commission_opinion": row.commission_opinion,
        "commission_date": _iso(row.commission_date),
        "external_id": row.external_id,
        "cameras": cameras,
    }


def _iso(d: date | datetime | None) -> str | None:
    return d.isoformat() if d else None


def _site_values(d: SiteDraft) -> dict[str, Any]:
    return {k: val for k, val in asdict(d).items()}


def do_save_site(
    v: Vigie, agent: Agent | None, draft: SiteDraft, site_id: int | None = None
) -> dict[str, Any]:
    """Record a new site, or change one (its authorisation renewed…); audited."""
    agent = require(agent, "video.manage")
    d = domain.check_site(draft)
    if d.zone and d.zone not in v.city.zones.by_code:
        raise ValidationFailed(f"unknown commune code '{d.zone}'", field="zone")
    now = utcnow()
    with v.db.session(write=True) as s:
        if site_id is None:
            row = VideoSiteRow(**_site_values(d), created_at=now, updated_at=now)
            s.add(row)
        else:
            found = s.get(VideoSiteRow, site_id)
            if found is None:
                raise NotFound(f"no video-protection site with id {site_id}")
            row = found
            for key, value in _site_values(d).items():
                if key != "external_id":
                    setattr(row, key, value)
            row.updated_at = now
        try:
            s.flush()
        except IntegrityError:
            raise Conflict(f"a site with code '{d.code}' already exists", field="code") from None
        do_audit(s, agent, "video.site.saved", "video_site", str(row.id), {"code": row.code})
        s.commit()
        return site_view(row, today_in(v, now))


def _camera_counts(s: Session, site_ids: list[int] | None = None) -> dict[int, int]:
    q = (
        select(VideoCameraRow.site_id, func.count())
        .join(AssetRow, AssetRow.id == VideoCameraRow.asset_id)
        .where(VideoCameraRow.site_id.is_not(None), AssetRow.status.not_in(NOT_FILMING))
        .group_by(VideoCameraRow.site_id)
    )
    if site_ids is not None:
        q = q.where(VideoCameraRow.site_id.in_(site_ids))
    return {int(site): int(n) for site, n in s.execute(q) if site is not None}


def list_sites(v: Vigie, agent: Agent | None, q: str = "", state: str = "") -> list[dict[str, Any]]:
    """Every site, with its state and how many cameras film there (no camera positions)."""
    require(agent, "video.cameras")
    today = today_in(v)
    with v.db.session() as s:
        rows = list(s.scalars(select(VideoSiteRow).order_by(VideoSiteRow.code)))
        counts = _camera_counts(s)
    out = [site_view(r, today, counts.get(r.id, 0)) for r in rows]
    if q:
        words = q.casefold().split()
        out = [
            x for x in out if all(w in f"{x['code']} {x['name']} {x['address']}".casefold() for w in words)
        ]
    if state:
        out = [x for x in out if x["state"] == state]
    return out


def get_site(v: Vigie, agent: Agent | None, site_id: int) -> dict[str, Any]:
    """A site in full with its cameras; the consultation is audited."""
    agent = require(agent, "video.cameras")
    today = today_in(v)
    with v.db.session(write=True) as s:
        row = s.get(VideoSiteRow, site_id)
        if row is None:
            raise NotFound(f"no video-protection site with id {site_id}")
        cams = s.execute(
            select(AssetRow.id, AssetRow.name, AssetRow.status, AssetRow.lat, AssetRow.long, VideoCameraRow)
            .join(VideoCameraRow, VideoCameraRow.asset_id == AssetRow.id)
            .where(VideoCameraRow.site_id == site_id)
            .order_by(AssetRow.id)
        ).all()
        do_audit(s, agent, "video.site.consulted", "video_site", str(site_id), {"code": row.code})
        s.commit()
        view = site_view(row, today, sum(1 for c in cams if c.status not in NOT_FILMING))
        view["camera_list"] = [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "lat": c.lat,
                "long": c.long,
                "signage": c.VideoCameraRow.signage,
                "overlooks_private": c.VideoCameraRow.overlooks_private,
                "privacy_masks": c.VideoCameraRow.privacy_masks,
            }
            for c in cams
        ]
        return view


# --- cameras ----------------------------------------------------------------------------------


def camera_view(asset: AssetRow, cam: VideoCameraRow | None, site: VideoSiteRow | None) -> dict[str, Any]:
    return {
        "id": asset.id,
        "name": asset.name,
        "status": asset.status,
        "zone": asset.zone,
        "lat": asset.lat,
        "long": asset.long,
        "camera_type": (asset.attributes or {}).get("cameraType"),
        "site_id": cam.site_id if cam else None,
        "site_code": site.code if site else None,
        "site_name": site.name if site else None,
        "overlooks_private": bool(cam and cam.overlooks_private),
        "privacy_masks": bool(cam and cam.privacy_masks),
        "signage": bool(cam and cam.signage),
    }


def list_cameras(v: Vigie, agent: Agent | None, site_id: int | None = None) -> list[dict[str, Any]]:
    """The cameras with their positions (the video-protection roles' map)."""
    require(agent, "video.cameras")
    q = (
        select(AssetRow, VideoCameraRow, VideoSiteRow)
        .outerjoin(VideoCameraRow, VideoCameraRow.asset_id == AssetRow.id)
        .outerjoin(VideoSiteRow, VideoSiteRow.id == VideoCameraRow.site_id)
        .where(AssetRow.type == CAMERA_TYPE)
        .order_by(AssetRow.id)
    )
    if site_id is not None:
        q = q.where(VideoCameraRow.site_id == site_id)
    with v.db.session() as s:
        return [camera_view(a, c, site) for a, c, site in s.execute(q)]


def get_camera(v: Vigie, agent: Agent | None, asset_id: str) -> dict[str, Any]:
    """One camera in full; the consultation is audited."""
    agent = require(agent, "video.cameras")
    with v.db.session(write=True) as s:
        asset = s.get(AssetRow, asset_id[:64])
        if asset is None or asset.type != CAMERA_TYPE:
            raise NotFound(f"no camera with id '{asset_id[:64]}'")
        cam = s.get(VideoCameraRow, asset.id)
        site = s.get(VideoSiteRow, cam.site_id) if cam and cam.site_id else None
        do_audit(s, agent, "video.camera.consulted", "asset", asset.id, {})
        s.commit()
        view = camera_view(asset, cam, site)
        view["attributes"] = asset.attributes or {}
        view["installed_on"] = _iso(asset.installed_on)
        return view


def do_set_camera(
    v: Vigie,
    agent: Agent | None,
    asset_id: str,
    site_id: int | None,
    *,
    overlooks_private: bool,
    privacy_masks: bool,
    signage: bool,
) -> dict[str, Any]:
    """Attach a camera to a site and record its masks and signage; audited."""
    agent = require(agent, "video.manage")
    now = utcnow()
    with v.db.session(write=True) as s:
        asset = s.get(AssetRow, asset_id[:64])
        if asset is None or asset.type != CAMERA_TYPE:
            raise NotFound(f"no camera with id '{asset_id[:64]}'")
        site = None
        if site_id is not None:
            site = s.get(VideoSiteRow, site_id)
            if site is None:
                raise ValidationFailed(f"no video-protection site with id {site_id}", field="site_id")
        cam = s.get(VideoCameraRow, asset.id)
        if cam is None:
            cam = VideoCameraRow(asset_id=asset.id)
            s.add(cam)
        cam.site_id = site_id
        cam.overlooks_private, cam.privacy_masks, cam.signage = overlooks_private, privacy_masks, signage
        cam.updated_at = now
        do_audit(
            s,
            agent,
            "video.camera.saved",
            "asset",
            asset.id,
            {
                "site_id": site_id,
                "masks": privacy_masks,
                "signage": signage,
                "overlooks_private": overlooks_private,
            },
        )
        s.commit()
        return camera_view(asset, cam, site)


# --- compliance -------------------------------------------------------------------------------


def current_alerts(s: Session, today: date) -> list[domain.Alert]:
    sites = [
        domain.SiteFacts(r.id, r.code, r.authorisation_number, r.authorisation_expiry, r.retention_days)
        for r in s.execute(
            select(
                VideoSiteRow.id,
                VideoSiteRow.code,
                VideoSiteRow.authorisation_number,
                VideoSiteRow.authorisation_expiry,
                VideoSiteRow.retention_days,
            )
        )
    ]
    cameras = [
        domain.CameraFacts(
            r.id,
            r.site_id,
            bool(r.overlooks_private),
            bool(r.privacy_masks),
            bool(r.signage),
            r.status not in NOT_FILMING,
        )
        for r in s.execute(
            select(
                AssetRow.id,
                AssetRow.status,
                VideoCameraRow.site_id,
                VideoCameraRow.overlooks_private,
                VideoCameraRow.privacy_masks,
                VideoCameraRow.signage,
            )
            .outerjoin(VideoCameraRow, VideoCameraRow.asset_id == AssetRow.id)
            .where(AssetRow.type == CAMERA_TYPE)
        )
    ]
    return domain.compliance(sites, cameras, today)


def do_check_compliance(v: Vigie, now: datetime | None = None) -> dict[str, int]:
    """Open the alerts that appeared and close the ones whose cause is gone; each opening and
    closing is an entry of the operations log (for the video-protection roles). Idempotent."""
    now = now or utcnow()
    today = today_in(v, now)
    opened = closed = 0
    with v.db.session(write=True) as s:
        alerts = {a.key: a for a in current_alerts(s, today)}
        open_rows = {
            r.open_key or "": r
            for r in s.scalars(select(VideoAlertRow).where(VideoAlertRow.open_key.is_not(None)))
        }
        codes: dict[int, str] = {r.id: r.code for r in s.execute(select(VideoSiteRow.id, VideoSiteRow.code))}
        for key, alert in alerts.items():
            if key in open_rows:
                continue
            s.add(
                VideoAlertRow(
                    kind=alert.kind,
                    site_id=alert.site_id,
                    asset_id=alert.asset_id,
                    open_key=key,
                    severity=alert.severity,
                    detail=alert.detail,
                    opened_at=now,
                )
            )
            _log_alert(
                v, s, alert.kind, alert.severity, alert.asset_id or codes.get(alert.site_id or 0, ""), True
            )
            opened += 1
        for open_key, row in open_rows.items():
            if open_key not in alerts:
                row.open_key = None
                row.closed_at = now
                _log_alert(v, s, row.kind, "info", row.asset_id or codes.get(row.site_id or 0, ""), False)
                closed += 1
        s.commit()
    return {"opened": opened, "closed": closed, "open": len(alerts)}


def _log_alert(v: Vigie, s: Session, kind: str, severity: str, what: str, opened: bool) -> None:
    _, fr, en = ALERTS[kind]
    v.messages.stage(
        s,
        Logged(
            service="video",
            kind="compliance.opened" if opened else "compliance.closed",
            text_fr=f"{fr} : {what}" + ("" if opened else " — résolu"),
            text_en=f"{en}: {what}" + ("" if opened else " — resolved"),
            severity=severity,
            ref=f"video:{what}",
            visible_to="video.cameras",
            detail={"alert": kind, "subject": what},
        ),
    )


def list_alerts(v: Vigie, agent: Agent | None, include_closed: bool = False) -> list[dict[str, Any]]:
    require(agent, "video.cameras")
    q = select(VideoAlertRow, VideoSiteRow.code).outerjoin(
        VideoSiteRow, VideoSiteRow.id == VideoAlertRow.site_id
    )
    if not include_closed:
        q = q.where(VideoAlertRow.open_key.is_not(None))
    with v.db.session() as s:
        rows = s.execute(
            q.order_by(VideoAlertRow.opened_at.desc(), VideoAlertRow.id.desc()).limit(2000)
        ).all()
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "severity": r.severity,
            "fr": ALERTS[r.kind][1],
            "en": ALERTS[r.kind][2],
            "site_id": r.site_id,
            "site_code": code,
            "asset_id": r.asset_id,
            "detail": r.detail,
            "opened_at": r.opened_at.isoformat(),
            "closed_at": _iso(r.closed_at),
        }
        for r, code in rows
    ]


# --- who consulted what ---------------------------------------------------------------------

CONSULTATIONS = (
    "asset.consulted",
    "video.camera.consulted",
    "video.site.consulted",
    "video.register.consulted",
    "video.extraction.consulted",
)


def list_consultations(v: Vigie, agent: Agent | None, limit: int = 500) -> list[dict[str, Any]]:
    """The audit of every consultation of cameras, sites and the register (the registrar's)."""
    require(agent, "video.extractions")
    with v.db.session() as s:
        rows = s.scalars(
            select(AuditRow)
            .where(AuditRow.action.in_(CONSULTATIONS))
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [
            {
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "target": f"{r.target_type}:{r.target_id}",
            }
            for r in rows
        ]


__all__ = [
    "do_check_compliance",
    "do_save_site",
    "do_set_camera",
    "get_camera",
    "get_site",
    "list_alerts",
    "list_cameras",
    "list_consultations",
    "list_sites",
]
