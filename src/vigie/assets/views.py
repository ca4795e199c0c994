"""The JSON shape of an asset (API, events).

Asset data is not personal data: the same view serves the public and agents.
Cameras are another matter: their positions and details are for the
video-protection roles only (``AssetType.restricted_to``; the readers filter them
out before this view is made), the authorised systems being published without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigie.assets.storage import AssetRow

if TYPE_CHECKING:
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


# --- live state on the map, from the latest telemetry ----------------------------
#
# What a control-room map colours an asset by (docs/telemetry.md, "Live state on
# the map"): ``offline`` when the asset has been silent longer than its
# heartbeat alarm rule allows, else the first matching rule of its telemetry
# kind below, else ``ok``; ``unknown`` when it never reported. A street light's
# ``powerState`` is not a health state (lights are off by day, and some
# communes switch them off at night): it stays on the asset page.

STATES = ("ok", "fault", "offline", "unknown")

_LAMP_FAULTS = frozenset({"defectiveLamp", "brokenLantern", "columnIssue"})
# Per telemetry kind: (measurement, test, operand, state); the thresholds are
# those of the default alarm rules (lamp-failure, cabinet-power-loss…).
STATE_RULES: dict[str, tuple[tuple[str, str, Any, str], ...]] = {
    "streetlight": (("status", "in", _LAMP_FAULTS, "fault"),),
    "cabinet": (("voltage", "<", 180, "fault"), ("doorOpen", "is", True, "fault")),
    "camera": (
        ("online", "is", False, "offline"),
        ("recording", "is", False, "fault"),
        ("storageUsage", ">", 0.95, "fault"),
    ),
    "traffic_controller": (("fault", "is", True, "fault"),),
}


def _holds(test: str, value: Any, operand: Any) -> bool:
    if value is None:
        return False
    if test == "is":  # booleans: 0 and 1 are not false and true here
        return value is operand
    if test == "in":
        return isinstance(value, str) and value in operand
    # "<" and ">": numbers only (True < 180 would hold in Python)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return value > operand if test == ">" else value < operand


def telemetry_state(
    kind: str | None,
    values: dict[str, Any] | None,
    silent_for_s: float = 0.0,
    silent_after_s: float | None = None,
) -> str:
    """ok, fault, offline or unknown, from an asset's latest values (None: never reported)."""
    if values is None:
        return "unknown"
    if silent_after_s is not None and silent_for_s > silent_after_s:
        return "offline"
    for name, test, operand, state in STATE_RULES.get(kind or "", ()):
        if _holds(test, values.get(name), operand):
            return state
    return "ok"
