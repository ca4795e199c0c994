"""Context layers drawn on every map when no basemap is set, serialised once per process.

Each layer is GeoJSON encoded and gzipped once (the sources change only when the
city changes its settings and restarts) and answered with an ETag, so a page that
opens a map costs the server a dictionary lookup and the network a few tens of
kilobytes, or a 304.
"""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from vigie.runtime import Vigie

LAYERS_URL = "/api/v1/map/layers/{name}.geojson"


@dataclass(frozen=True)
class CachedLayer:
    name: str
    body: bytes
    gzipped: bytes
    etag: str
    features: int
    # Drawn from this zoom on (stops are clutter on a whole-city view).
    min_zoom: int = 0
    attribution: str = ""  # the data's source, credited on the map (plain text)

    @classmethod
    def of(
        cls, name: str, collection: dict[str, Any], min_zoom: int = 0, attribution: str = ""
    ) -> CachedLayer:
        body = orjson.dumps(collection)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        gzipped = gzip.compress(body, 6, mtime=0)
        return cls(name, body, gzipped, etag, len(collection["features"]), min_zoom, attribution)

    def page_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "url": LAYERS_URL.format(name=self.name),
            "min_zoom": self.min_zoom,
        }
        if self.attribution:
            out["attribution"] = html.escape(self.attribution)
        return out


def build_layers(v: Vigie) -> dict[str, CachedLayer]:
    """The layers the settings ask for; a bad source raises a ConfigurationError naming it."""
    layers: dict[str, CachedLayer] = {}
    settings = v.settings
    if settings.transport_gtfs:
        from vigie.transport.gtfs import read_feed
        from vigie.transport.layers import lines_collection, read_stop_lines, stops_collection

        feed = read_feed(settings.transport_gtfs)
        paths = [Path(p.strip()).expanduser() for p in settings.transport_stops.split(",") if p.strip()]
        stop_lines = read_stop_lines(paths)
        credit = settings.transport_attribution or " / ".join(feed.agencies)
        layers["transport-lines"] = CachedLayer.of("transport-lines", lines_collection(feed), 0, credit)
        layers["transport-stops"] = CachedLayer.of("transport-stops", stops_collection(feed, stop_lines), 15)
    return layers


def context_layers(v: Vigie) -> dict[str, CachedLayer]:
    found = v.caches.map_layers
    if found is None:
        found = v.caches.map_layers = build_layers(v)
    return found
