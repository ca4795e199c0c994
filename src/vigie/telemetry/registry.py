"""In-memory view of the asset registry used by the ingest (id -> kind, place, group).

Loaded once at start and refreshed incrementally (assets added or changed since
the last look), so the hot path never queries the database for known assets.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from vigie.assets.storage import AssetRow
from vigie.db import Database
from vigie.telemetry.schema import kind_of

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
        self._since: datetime | None = None
        self._lock = threading.Lock()

    def get(self, asset_id: str) -> AssetInfo | None:
        return self.assets.get(asset_id)

    def add(self, info: AssetInfo) -> None:
        self.assets[info.id] = info

    def refresh(self) -> int:
        """Load assets created or changed since the last refresh; returns how many."""
        with self._lock:
            q = select(AssetRow)
            if self._since is not None:
                q = q.where(AssetRow.updated_at >= self._since)
            n = 0
            latest = self._since
            with self.db.session() as s:
                for row in s.scalars(q.execution_options(yield_per=2000)):
                    info = info_of(row)
                    if info is not None:
                        self.assets[row.id] = info
                        n += 1
                    if latest is None or (row.updated_at and row.updated_at > latest):
                        latest = row.updated_at
            self._since = latest
            return n

    def of_kind(self, kind: str) -> list[AssetInfo]:
        return [a for a in list(self.assets.values()) if a.kind == kind]

    def __len__(self) -> int:
        return len(self.assets)
