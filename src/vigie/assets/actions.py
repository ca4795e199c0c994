"""Use cases of the assets context: create, change status, read, search nearby.

``check_…`` validates (domain rules, then what needs the city or the database:
zone, linked assets), ``do_…`` writes in one transaction with an audit entry
and publishes an ``asset.…`` event to agents after commit.

Every writer of the ``assets`` table (this module, the importer, the demo, and
other contexts) must set ``updated_at``: the data version that keys the cached
GeoJSON layers is the row count plus the latest ``updated_at``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigie import cacheversions
from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.assets.domain import (
    AssetDraft,
    AssetInvalid,
    check_asset,
)
from vigie.assets.storage import AssetRow
from vigie.assets.types import ASSET_TYPES, STATUSES, Problem
from vigie.db import Database, utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie

M_PER_DEG_LAT = 111_320.0
MAX_PAGE_SIZE = 1000
MAX_NOTE = 1000

# --- checks that need the city or the database ------------------------------


def locate(v: Vigie, draft: AssetDraft) -> str:
    """The zone code of a checked draft; fixed assets outside every zone are refused."""
    if draft.lat is None or draft.long is None:
        return ""
    zone = v.city.zones.locate(draft.lat, draft.long)
    if zone is not None:
        return zone.code
    if ASSET_TYPES[draft.type].mobile:
        return ""
    raise AssetInvalid(
        [
            (
                "location",
                f"({draft.lat}, {draft.long}) is outside every zone of {v.city.name}; "
                "a fixed asset must lie in one of the city's zones",
            )
        ]
    )


def referenced_ids(draft: AssetDraft) -> list[str]:
    out = list(draft.links.values())
    if draft.parent_id:
        out.append(draft.parent_id)
    return out


def link_problems(draft: AssetDraft, known: dict[str, str]) -> list[Problem]:
    """Links must name existing assets of the right type; ``known`` maps id -> type."""
    problems: list[Problem] = []
    type_ = ASSET_TYPES[draft.type]
    for rel, target in draft.links.items():
        found = known.get(target)
        wanted = type_.links[rel].target_type
        if found is None:
            problems.append((f"links.{rel}", f"no asset '{target}'"))
        elif found != wanted:
            problems.append((f"links.{rel}", f"'{target}' is a {found}, not a {wanted}"))
    if draft.parent_id and draft.parent_id not in known:
        problems.append(("parent_id", f"no asset '{draft.parent_id}'"))
    return problems


def types_of(s: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        q = select(AssetRow.id, AssetRow.type).where(AssetRow.id.in_(chunk))
        out.update((row[0], row[1]) for row in s.execute(q))
    return out


def row_values(draft: AssetDraft, zone: str, now: Any) -> dict[str, Any]:
    """Column values of a checked draft, for ``insert(AssetRow)``."""
    installed = draft.installed_on if isinstance(draft.installed_on, date) else None
    return {
        "id": draft.id,
        "type": draft.type,
        "name": draft.name,
        "lat": draft.lat,
        "long": draft.long,
        "zone": zone,
        "status": draft.status,
        "group": draft.group,
        "installed_on": installed,
        "attributes": draft.attributes,
        "links": draft.links,
        "parent_id": draft.parent_id,
        "external_id": draft.external_id,
        "created_at": now,
        "updated_at": now,
    }


def draft_of(row: AssetRow) -> AssetDraft:
    return AssetDraft(
        id=row.id,
        type=row.type,
        lat=row.lat,
        long=row.long,
        status=row.status,
        name=row.name,
        group=row.group,
        installed_on=row.installed_on,
        attributes=dict(row.attributes or {}),
        links=dict(row.links or {}),
        parent_id=row.parent_id,
        external_id=row.external_id,
        zone=row.zone,
    )


# --- writes ------------------------------------------------------------------


def _event(type_: str, row: AssetRow, **extra: Any) -> DomainEvent:
    from vigie.assets.views import asset_view

    payload = asset_view(row)
    payload.update(extra)
    # Not a report: no followers, and the public report stream does not carry it.
    return DomainEvent(type=type_, report_ids=(), public=False, payload={"asset": payload})


def do_create_asset(v: Vigie, draft: AssetDraft, agent: Agent | None) -> AssetRow:
    agent = require(agent, "assets.manage")
    checked = check_asset(draft)
    zone = locate(v, checked)
    with v.db.session(write=True) as s:
        if s.get(AssetRow, checked.id) is not None:
            raise Conflict(f"an asset '{checked.id}' already exists", field="id")
        if checked.external_id is not None and (
            s.scalar(select(AssetRow.id).where(AssetRow.external_id == checked.external_id))
        ):
            raise Conflict(
                f"an asset already has the external id '{checked.external_id}'",
                field="external_id",
            )
        problems = link_problems(checked, types_of(s, referenced_ids(checked)))
        if problems:
            raise AssetInvalid(problems)
        row = AssetRow(**row_values(checked, zone, utcnow()))
        s.add(row)
        do_audit(s, agent, "asset.create", "asset", checked.id, {"type": checked.type})
        try:
            s.commit()
        except IntegrityError:
            raise Conflict(f"an asset '{checked.id}' already exists", field="id") from None
    v.messages.publish([_event("asset.created", row)])
    return row


def do_update_asset_status(
    v: Vigie, asset_id: str, agent: Agent | None, status: str, note: str = ""
) -> AssetRow:
    """Put an asset in service, out of service, in maintenance…; audited with the note."""
    agent = require(agent, "assets.status")
    if status not in STATUSES:
        raise ValidationFailed(f"'{status}' is not an asset status ({', '.join(STATUSES)})", field="status")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"note is longer than {MAX_NOTE} characters", field="note")
    if "\x00" in note:
        raise ValidationFailed("note contains a NUL character", field="note")
    if len(asset_id) > 64 or "\x00" in asset_id:
        raise NotFound(f"no asset with id '{asset_id[:64]}'")
    with v.db.session(write=True) as s:
        q = select(AssetRow).where(AssetRow.id == asset_id)
        if v.db.dialect == "postgresql":
            q = q.with_for_update()
        row = s.scalar(q)
        if row is None:
            raise NotFound(f"no asset with id '{asset_id}'")
        previous = row.status
        if previous == status:
            return row
        draft = draft_of(row)
        draft.status = status
        check_asset(draft)  # the type's rules may depend on the status (cameras)
        row.status = status
        row.updated_at = utcnow()
        do_audit(
            s,
            agent,
            "asset.status",
            "asset",
            row.id,
            {"from": previous, "to": status, "note": note},
        )
        s.commit()
    v.messages.publish([_event("asset.updated", row, previous_status=previous, note=note)])
    return row


# --- reads -------------------------------------------------------------------


@dataclass
class AssetFilter:
    ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None  # min_long, min_lat, max_long, max_lat
    near: tuple[float, float, float] | None = None  # lat, long, radius_m
    hidden: tuple[str, ...] = ()  # types the reader may not see (hidden_types)

    def check(self) -> AssetFilter:
        for t in self.types:
            if t not in ASSET_TYPES:
                raise ValidationFailed(f"unknown asset type '{t}' ({', '.join(ASSET_TYPES)})", field="type")
        for st in self.statuses:
            if st not in STATUSES:
                raise ValidationFailed(f"unknown asset status '{st}' ({', '.join(STATUSES)})", field="status")
        return self

    def key(self) -> tuple[Any, ...]:
        return (
            tuple(sorted(self.ids)),
            tuple(sorted(self.types)),
            tuple(sorted(self.statuses)),
            tuple(sorted(self.zones)),
            tuple(sorted(self.groups)),
            self.bbox,
            self.near,
            self.hidden,
        )


def _radius_box(lat: float, long: float, r: float) -> tuple[float, float, float, float]:
    dlat = r / M_PER_DEG_LAT
    dlong = r / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return long - dlong, lat - dlat, long + dlong, lat + dlat


def apply_filter(q: Select, f: AssetFilter) -> Select:  # type: ignore[type-arg]
    R = AssetRow
    conds: list[ColumnElement[bool]] = []
    if f.ids:
        conds.append(R.id.in_(f.ids))
    if f.types:
        conds.append(R.type.in_(f.types))
    if f.statuses:
        conds.append(R.status.in_(f.statuses))
    if f.zones:
        conds.append(R.zone.in_(f.zones))
    if f.groups:
        conds.append(R.group.in_(f.groups))
    if f.hidden:
        conds.append(R.type.not_in(f.hidden))
    boxes = [f.bbox] if f.bbox else []
    if f.near:
        lat, long, r = f.near
        boxes.append(_radius_box(lat, long, r))
        k = math.cos(math.radians(lat))
        dy = (R.lat - lat) * M_PER_DEG_LAT
        dx = (R.long - long) * (M_PER_DEG_LAT * k)
        conds.append(dy * dy + dx * dx <= r * r)
    for x1, y1, x2, y2 in boxes:
        conds.append(and_(R.lat >= y1, R.lat <= y2, R.long >= x1, R.long <= x2))
    return q.where(*conds) if conds else q


def hidden_types(agent: Agent | None) -> tuple[str, ...]:
    """The asset types ``agent`` (None: the public) may not see: cameras unless video protection."""
    return tuple(
        t.code
        for t in ASSET_TYPES.values()
        if t.restricted_to is not None and (agent is None or not agent.can(t.restricted_to))
    )


def visible_types(agent: Agent | None, asked: list[str]) -> list[str]:
    """``asked`` (every type when empty) less the hidden ones, for the reads keyed by types."""
    hidden = hidden_types(agent)
    if not hidden:
        return asked
    return [t for t in (asked or list(ASSET_TYPES)) if t not in hidden]


def get_visible_asset(v: Vigie, asset_id: str, agent: Agent | None) -> AssetRow:
    """One asset as ``agent`` may see it: a restricted one (a camera) does not exist for the
    others, and each opening of one by its role is audited (who consulted which camera, when)."""
    row = get_asset(v, asset_id)
    restricted = ASSET_TYPES[row.type].restricted_to if row.type in ASSET_TYPES else None
    if restricted is None:
        return row
    if agent is None or not agent.can(restricted):
        raise NotFound(f"no asset with id '{asset_id}'")
    with v.db.session(write=True) as s:
        do_audit(s, agent, "asset.consulted", "asset", row.id, {"type": row.type})
        s.commit()
    return row


def get_asset(v: Vigie, asset_id: str) -> AssetRow:
    if len(asset_id) > 64 or "\x00" in asset_id:
        raise NotFound(f"no asset with id '{asset_id[:64]}'")
    with v.db.session() as s:
        row = s.get(AssetRow, asset_id)
    if row is None:
        raise NotFound(f"no asset with id '{asset_id}'")
    return row


def list_assets(
    v: Vigie, f: AssetFilter | None = None, page: int = 1, page_size: int = 100
) -> tuple[list[AssetRow], bool]:
    """One page ordered by id, and whether there is another page."""
    if page < 1:
        raise ValidationFailed("page starts at 1", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    f = (f or AssetFilter()).check()
    q = apply_filter(select(AssetRow), f).order_by(AssetRow.id)
    q = q.limit(page_size + 1).offset((page - 1) * page_size)
    with v.db.session() as s:
        rows = list(s.scalars(q))
    return rows[:page_size], len(rows) > page_size


def nearest_assets(
    v: Vigie,
    type: str | None,
    lat: float,
    long: float,
    radius_m: float = 50.0,
    limit: int = 5,
) -> list[tuple[AssetRow, float]]:
    """Assets of ``type`` (any type when None) within ``radius_m`` metres, nearest first.

    Returns ``(asset, distance in metres)`` pairs; removed assets are left out.
    The bounding box of the circle uses the (lat, long) index.
    """
    if type is not None and type not in ASSET_TYPES:
        raise ValidationFailed(f"unknown asset type '{type}'", field="type")
    if not (-90 <= lat <= 90 and -180 <= long <= 180):
        raise ValidationFailed("lat/long out of range", field="lat")
    radius_m = max(0.0, min(float(radius_m), 50_000.0))
    f = AssetFilter(types=[type] if type else [], near=(lat, long, radius_m))
    q = apply_filter(select(AssetRow), f).where(AssetRow.status != "removed").limit(5000)
    with v.db.session() as s:
        rows = list(s.scalars(q))
    found = [(r, distance_m(lat, long, r.lat or 0.0, r.long or 0.0)) for r in rows]
    found = [(r, d) for r, d in found if d <= radius_m]
    found.sort(key=lambda t: (t[1], t[0].id))
    return found[: max(0, limit)]


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


def data_version(v: Vigie) -> str:
    """Changes whenever an asset is added, removed or updated: the count, the latest
    update, and the assets' counter in ``cache_versions``, bumped by every transaction
    that writes assets (:func:`track_versions`), so that every worker of every node sees
    a write at its commit, even one stamped by a node whose clock is behind."""
    with v.db.session() as s:
        bumps = cacheversions.read(s, "assets")
        count, latest = s.execute(
            select(func.count(), func.max(AssetRow.updated_at)).select_from(AssetRow)
        ).one()
    return f"{count}:{latest.isoformat() if latest else '-'}:{bumps}"


def track_versions(db: Database) -> None:
    """Have every transaction that writes assets bump their version (wired at start-up)."""
    for factory in (db.session_factory, db.write_session_factory):
        cacheversions.watch(factory, "assets", AssetRow)


__all__ = [
    "AssetFilter",
    "data_version",
    "do_create_asset",
    "do_update_asset_status",
    "get_asset",
    "list_assets",
    "nearest_assets",
    "track_versions",
]
