"""Where a report is: its address from its point, its point from its address.

Used by the reports context when a report is filed or moved:

- :func:`address_at`: the address (or street) under a point, reverse-geocoded;
  never fails a report: a geocoder that does not answer leaves it without one;
- :func:`place_of_text`: an address typed without coordinates (Open311
  ``address_string``), geocoded among the answers inside the city's zones;
- :func:`place_of_id`: an id of the gazetteer (Open311 ``address_id``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vigie.addresses.domain import Address
from vigie.addresses.geocoder import gazetteer_of, geocoder_of
from vigie.errors import ValidationFailed, VigieError
from vigie.runtime import Vigie

log = logging.getLogger(__name__)

MAX_ADDRESS_ID = 128


@dataclass(frozen=True)
class Placed:
    lat: float
    lon: float
    label: str
    address_id: str


def address_at(v: Vigie, lat: float, lon: float) -> Address | None:
    """The address within 50 m or the street under a point; None for a zone or on failure."""
    try:
        found = geocoder_of(v).reverse(lat, lon)
    except VigieError as exc:
        log.warning("no address for a report: %s", exc.message)
        return None
    return found if found is not None and found.kind in ("address", "street") else None


def place_of_text(v: Vigie, text: str) -> Placed | None:
    """The best answer for a typed address that lies in one of the city's zones.

    None when the geocoder knows nothing of it; refused (422, 400 in Open311)
    when everything it found is outside the city.
    """
    centre = v.city.center
    # A space at the end: the text is complete, its last word is not a prefix.
    found = geocoder_of(v).search(text.strip() + " ", centre.get("lat"), centre.get("long"), limit=5)
    found = [a for a in found if a.type in ("housenumber", "street", "poi")]
    for a in found:
        if v.city.zones.locate(a.lat, a.lon) is not None:
            return Placed(a.lat, a.lon, a.label, a.id)
    if found:
        raise ValidationFailed(
            f"'{found[0].label}' is outside {v.city.name}; reports are accepted only within its zones",
            field="address_string",
        )
    return None


def place_of_id(v: Vigie, address_id: str) -> Placed:
    if len(address_id) > MAX_ADDRESS_ID or "\x00" in address_id:
        raise ValidationFailed(f"address_id is longer than {MAX_ADDRESS_ID} characters", field="address_id")
    found = gazetteer_of(v).get(address_id)
    if found is None:
        raise ValidationFailed(f"'{address_id}' is not an address id of the gazetteer", field="address_id")
    if v.city.zones.locate(found.lat, found.lon) is None:
        raise ValidationFailed(f"'{found.label}' is outside {v.city.name}", field="address_id")
    return Placed(found.lat, found.lon, found.label, found.id)


__all__ = ["MAX_ADDRESS_ID", "Placed", "address_at", "place_of_id", "place_of_text"]
