"""The geocoder seam: one interface, a backend chosen by ``VIGIE_GEOCODER``.

- ``builtin`` (default): the gazetteer in Vigie's own database
  (:class:`vigie.addresses.builtin.BuiltinGeocoder`);
- ``ban``: any server speaking the BAN geocoder API at ``VIGIE_GEOCODER_URL``
  (a city's own addok; :class:`vigie.addresses.ban.BanGeocoder`).

Both answer :class:`vigie.addresses.domain.Address` values. Every backend is
wrapped in :class:`CachedGeocoder`: people type the same first letters over
and over, and a remote service must not see one request per keystroke.
Address ids (Open311 ``address_id``) are always looked up in the gazetteer.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from vigie.addresses.domain import Address
from vigie.errors import ConfigProblem, ConfigurationError

if TYPE_CHECKING:
    from vigie.addresses.builtin import BuiltinGeocoder
    from vigie.runtime import Vigie

GEOCODERS = ("builtin", "ban")


class Geocoder(Protocol):
    name: str

    def search(
        self, q: str, lat: float | None = None, lon: float | None = None, limit: int = 5
    ) -> list[Address]:
        """Addresses, streets and named places matching what was typed, best first."""
        ...

    def reverse(self, lat: float, lon: float) -> Address | None:
        """The address within 50 m, else the street, else the zone (``Address.kind`` says which)."""
        ...

    def close(self) -> None: ...


class CachedGeocoder:
    """A bounded LRU of recent answers, each kept ``ttl`` seconds.

    Search centres are rounded to 0.01° (about 1 km) before the query, so that
    a map moved a little reuses the answer; reverse positions to 1e-5° (1 m).
    """

    def __init__(self, inner: Geocoder, size: int = 4096, ttl: float = 300.0) -> None:
        self.inner = inner
        self.name = inner.name
        self.size = size
        self.ttl = ttl
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], tuple[float, object]] = OrderedDict()

    def _get(self, key: tuple[object, ...]) -> object:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < time.monotonic():
                return None
            self._items.move_to_end(key)
            return hit[1]

    def _put(self, key: tuple[object, ...], value: object) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def search(
        self, q: str, lat: float | None = None, lon: float | None = None, limit: int = 5
    ) -> list[Address]:
        if lat is not None and lon is not None:
            lat, lon = round(lat, 2), round(lon, 2)
        key = ("s", " ".join(q.lower().split()) + (" " if q[-1:].isspace() else ""), lat, lon, limit)
        hit = self._get(key)
        if hit is not None:
            return list(hit)  # type: ignore[call-overload]
        found = self.inner.search(q, lat, lon, limit)
        self._put(key, tuple(found))
        return found

    def reverse(self, lat: float, lon: float) -> Address | None:
        key = ("r", round(lat, 5), round(lon, 5))
        hit = self._get(key)
        if hit is not None:
            return hit if isinstance(hit, Address) else None
        found = self.inner.reverse(lat, lon)
        self._put(key, found if found is not None else False)
        return found

    def close(self) -> None:
        self.inner.close()


def make_geocoder(v: Vigie) -> CachedGeocoder:
    s = v.settings
    kind = s.geocoder
    if kind == "builtin":
        from vigie.addresses.builtin import BuiltinGeocoder

        inner: Geocoder = BuiltinGeocoder(v.db, v.city.zones)
    elif kind == "ban":
        from vigie.addresses.ban import BanGeocoder

        if not s.geocoder_url:
            raise ConfigurationError(
                [ConfigProblem("VIGIE_GEOCODER_URL", None, "geocoder_url", "VIGIE_GEOCODER=ban needs a URL")]
            )
        inner = BanGeocoder(s.geocoder_url, v.city.zones, timeout=s.geocoder_timeout)
    else:
        raise ConfigurationError(
            [
                ConfigProblem(
                    "VIGIE_GEOCODER",
                    None,
                    "geocoder",
                    f"unknown geocoder '{kind}' (one of {', '.join(GEOCODERS)})",
                )
            ]
        )
    return CachedGeocoder(inner, size=s.geocoder_cache_size)


_LOCK = threading.Lock()


def geocoder_of(v: Vigie) -> CachedGeocoder:
    """The platform's geocoder, made on first use (no network or file opened before)."""
    found = v.caches.geocoder
    if found is None:
        with _LOCK:
            found = v.caches.geocoder
            if found is None:
                found = v.caches.geocoder = make_geocoder(v)
    return found


def gazetteer_of(v: Vigie) -> BuiltinGeocoder:
    """The built-in gazetteer, whatever the geocoder: Open311 ``address_id`` is its ids."""
    from vigie.addresses.builtin import BuiltinGeocoder  # noqa: F811 - the class, at run time

    found = v.caches.gazetteer
    if found is None:
        found = v.caches.gazetteer = BuiltinGeocoder(v.db, v.city.zones)
    return found


def forget_points(v: Vigie) -> None:
    """After an import in this process: the built-in geocoders read the address points again."""
    from vigie.addresses.builtin import BuiltinGeocoder  # noqa: F811 - the class, at run time

    cached = v.caches.geocoder
    for g in (cached.inner if cached is not None else None, v.caches.gazetteer):
        if isinstance(g, BuiltinGeocoder):
            g.forget()


__all__ = [
    "CachedGeocoder",
    "GEOCODERS",
    "Geocoder",
    "forget_points",
    "gazetteer_of",
    "geocoder_of",
    "make_geocoder",
]
