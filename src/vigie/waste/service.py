"""The platform's waste rounds (loaded once from ``waste_rounds``) and what an address gets."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from vigie.errors import NotFound, ValidationFailed
from vigie.runtime import Vigie
from vigie.waste.domain import Collection, Rounds, Zone, load_rounds

_LOCK = threading.Lock()
MAX_DAYS = 400


@dataclass(frozen=True)
class ZoneCollections:
    zone: Zone
    collections: list[Collection]


def rounds_of(v: Vigie) -> Rounds | None:
    if not v.settings.waste_rounds:
        return None
    found = v.caches.waste_rounds
    if found is None:
        with _LOCK:
            found = v.caches.waste_rounds
            if found is None:
                found = v.caches.waste_rounds = load_rounds(Path(v.settings.waste_rounds).expanduser())
    return found


def collections_for(v: Vigie, citycode: str, street: str, start: date, days: int) -> ZoneCollections:
    rounds = rounds_of(v)
    if rounds is None:
        raise NotFound("no waste collection rounds are configured (waste_rounds)")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"days must be between 1 and {MAX_DAYS}", field="days")
    zone = rounds.zone_for(citycode, street)
    if zone is None:
        raise NotFound(f"no collection zone covers commune '{citycode[:10]}'", field="commune")
    holiday = v.city.business_hours.is_holiday
    return ZoneCollections(zone, rounds.collections(zone, start, start + timedelta(days=days - 1), holiday))


__all__ = ["ZoneCollections", "collections_for", "rounds_of"]
