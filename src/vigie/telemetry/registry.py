"""In-memory view of the asset registry used by the ingest (id -> kind, place, group).

Loaded once at start and refreshed incrementally (assets added or changed since
the last look), so the hot path never queries the database for known assets.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select

from vigie.assets.storage import AssetRow
from vigie.db import Database
from vigie.telemetry.schema import ID_PREFIXES, kind_of, type_names

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AssetInfo:
    id: str
    type: str
    kind: str
    zone: str
    lat: float | None
    long: float | None
    group: str
    status: str
    attributes: dict[str, object]
    cabinet: str = ""  # a street light's control cabinet (its refStreetlightControlCabinet link)


def info_of(row: AssetRow) -> AssetInfo | None:
    kind = kind_of(row.type, row.id)
    if kind is None:
        return None
    return AssetInfo(
        id=row.id,
        type=row.type,
        kind=kind,
        zone=row.zone or "",
        lat=row.lat,
        long=row.long,
        group=row.group or "",
        status=row.status or "",
        attributes=dict(row.attributes or {}),
        cabinet=str((row.links or {}).get("refStreetlightControlCabinet") or ""),
    )


class AssetRegistry:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.assets: dict[str, AssetInfo] = {}
        self._since: tuple[datetime, str] | None = None  # the last (updated_at, id) read
        self._lock = threading.Lock()

    def get(self, asset_id: str) -> AssetInfo | None:
        return self.assets.get(asset_id)

    def add(self, info: AssetInfo) -> None:
        self.assets[info.id] = info

    def refresh(self) -> int:
        """Load assets created or changed since the last refresh; returns how many.

        "Since" is the last ``(updated_at, id)`` seen: the assets of one import share
        their ``updated_at`` (a whole fleet at once), and reading again every row of
        that time, each refresh, reloaded the whole fleet every 30 s."""
        with self._lock:
            q = select(AssetRow)
            if self._since is not None:
                at, last_id = self._since
                q = q.where(
                    or_(AssetRow.updated_at > at, and_(AssetRow.updated_at == at, AssetRow.id > last_id))
                )
            n = 0
            latest = self._since
            with self.db.session() as s:
                for row in s.scalars(q.execution_options(yield_per=2000)):
                    info = info_of(row)
                    if info is not None:
                        self.assets[row.id] = info
                        n += 1
                    if latest is None or (row.updated_at, row.id) > latest:
                        latest = (row.updated_at, row.id)
            self._since = latest
            return n

    def of_kind(self, kind: str) -> list[AssetInfo]:
        return [a for a in list(self.assets.values()) if a.kind == kind]

    def __len__(self) -> int:
        return len(self.assets)


def could_be_kind(kind: str) -> ColumnElement[bool]:
    """SQL keeping the assets ``kind_of`` may call ``kind`` (its type's names folded as
    ``kind_of`` folds them, or its id prefix), so that a caller wanting one kind reads those
    rows instead of the whole fleet; ``kind_of`` still decides on each row."""
    folded = func.lower(func.replace(func.replace(func.replace(AssetRow.type, " ", ""), "_", ""), "-", ""))
    names = sorted({re.sub(r"[\s_\-]", "", n.lower()) for n in type_names(kind)})
    prefixes = [AssetRow.id.startswith(p, autoescape=True) for p, k in ID_PREFIXES.items() if k == kind]
    return or_(folded.in_(names), *prefixes)


def assets_of_kind(db: Database, kind: str) -> list[AssetInfo]:
    """The assets of one kind, read from the database (one query over the rows that may be)."""
    with db.session() as s:
        rows = s.scalars(select(AssetRow).where(could_be_kind(kind)).order_by(AssetRow.id))
        infos = [info_of(row) for row in rows]
    return [i for i in infos if i is not None and i.kind == kind]
