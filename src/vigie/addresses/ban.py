"""The ``ban`` geocoder: any server with the BAN geocoder API (addok, the national service).

``GET {url}/search/?q=…&lat=…&lon=…&limit=…`` and ``GET {url}/reverse/?lat=…&lon=…``
answer GeoJSON FeatureCollections; their features become
:class:`vigie.addresses.domain.Address` values. Reverse follows the same rule
as the built-in geocoder: the answer is an address when it is a house number
within 50 m; a street answer (or a house number farther away) within
``STREET_RADIUS_M`` gives its street; else the zone of the city profile.

The national service allows about 50 requests a second per address: a city
runs its own addok in production (docs/addresses.md), and the seam's cache
spares it repeated keystrokes.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from vigie.addresses.domain import ADDRESS_RADIUS_M, Address, label_of, metres, zone_address
from vigie.city.zones import ZoneIndex
from vigie.errors import VigieError

log = logging.getLogger(__name__)

# addok's street documents sit at the street's middle: a long street's answer may
# be that far from a point on it.
STREET_RADIUS_M = 150.0


class GeocoderUnavailable(VigieError):
    status = 503
    code = "geocoder_unavailable"
    title = "Geocoder unavailable"


class BanGeocoder:
    name = "ban"

    def __init__(
        self, url: str, zones: ZoneIndex, timeout: float = 3.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.zones = zones
        self.client = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "Vigie"})

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            r = self.client.get(f"{self.url}{path}", params=params)
        except httpx.HTTPError as exc:
            log.warning("geocoder %s unreachable: %s", self.url, type(exc).__name__)
            raise GeocoderUnavailable(
                "the address service does not answer; place the point on the map"
            ) from exc
        if r.status_code == 400:
            return []  # the server found the query unusable (too short, too long)
        if r.status_code != 200:
            log.warning("geocoder %s answered %s", self.url, r.status_code)
            raise GeocoderUnavailable("the address service failed; place the point on the map")
        try:
            features = r.json().get("features") or []
        except ValueError as exc:
            raise GeocoderUnavailable("the address service answered something that is not JSON") from exc
        return [f for f in features if isinstance(f, dict)]

    def search(
        self, q: str, lat: float | None = None, lon: float | None = None, limit: int = 5
    ) -> list[Address]:
        params: dict[str, Any] = {"q": q, "limit": limit, "autocomplete": 1}
        if lat is not None and lon is not None:
            params.update(lat=lat, lon=lon)
        return [a for a in (_address(f) for f in self._get("/search/", params)) if a is not None]

    def reverse(self, lat: float, lon: float) -> Address | None:
        for feature in self._get("/reverse/", {"lat": lat, "lon": lon, "limit": 1}):
            found = _address(feature)
            if found is None:
                continue
            d = metres(lat, lon, found.lat, found.lon)
            if found.type == "housenumber" and d <= ADDRESS_RADIUS_M:
                return found.with_reverse("address", d)
            if found.street and d <= STREET_RADIUS_M:
                street = Address(
                    type="street",
                    label=label_of(found.street, found.postcode, found.city),
                    lat=found.lat,
                    lon=found.lon,
                    id=found.id.rsplit("_", 1)[0] if found.type == "housenumber" else found.id,
                    name=found.street,
                    street=found.street,
                    postcode=found.postcode,
                    citycode=found.citycode,
                    city=found.city,
                    score=found.score,
                )
                return street.with_reverse("street", d)
        zone = self.zones.locate(lat, lon)
        if zone is None:
            return None
        return zone_address(zone.name, zone.code, lat, lon)


def _address(feature: dict[str, Any]) -> Address | None:
    props = feature.get("properties") or {}
    coords = (feature.get("geometry") or {}).get("coordinates") or []
    try:
        lon, lat = float(coords[0]), float(coords[1])
    except (IndexError, TypeError, ValueError):
        return None
    kind = str(props.get("type") or "")
    street = str(props.get("street") or (props.get("name") if kind == "street" else "") or "")
    return Address(
        type=kind if kind in ("housenumber", "street", "municipality") else "poi",
        label=str(props.get("label") or ""),
        lat=lat,
        lon=lon,
        id=str(props.get("id") or ""),
        name=str(props.get("name") or ""),
        housenumber=str(props.get("housenumber") or ""),
        street=street,
        postcode=str(props.get("postcode") or ""),
        citycode=str(props.get("citycode") or ""),
        city=str(props.get("city") or ""),
        score=float(props.get("score") or 0.0),
    )


__all__ = ["BanGeocoder", "GeocoderUnavailable"]
