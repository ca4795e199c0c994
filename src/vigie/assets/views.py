"""The JSON shape of an asset (API, events).

Asset data is not personal data: the same view serves the public and agents.
Camera locations are public in France (prefectoral lists of authorised
systems), so cameras are shown like any other asset.
"""

from __future__ import annotations

from typing import Any

from vigie.assets.storage import AssetRow
from vigie.city.zones import ZoneIndex


def asset_view(row: AssetRow, zones: ZoneIndex | None = None) -> dict[str, Any]:
    zone = zones.by_code.get(row.zone) if zones is not None and row.zone else None
    return {
        "id": row.id,
        "type": row.type,
        "name": row.name,
        "status": row.status,
        "lat": row.lat,
        "long": row.long,
        "zone": row.zone,
        "zone_name": zone.name if zone else None,
        "group": row.group,
        "installed_on": row.installed_on.isoformat() if row.installed_on else None,
        "attributes": row.attributes or {},
        "links": row.links or {},
        "parent_id": row.parent_id,
        "external_id": row.external_id,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
