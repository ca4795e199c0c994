"""What every page with a map is told: centre, basemap, context layers.

Here rather than in the web kit (``vigie.web``), which the maps package builds on.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from vigie.maps.basemap import basemap_of
from vigie.maps.layers import context_layers
from vigie.web.i18n import request_language
from vigie.web.pages import address_messages
from vigie.web.templating import asset_url


def map_config(request: Request) -> dict[str, Any]:
    v = request.app.state.vigie
    center = v.city.center or {}
    basemap = basemap_of(v).page_config()
    if basemap["kind"] == "pmtiles":
        basemap["script"] = asset_url("vendor/protomaps-leaflet/protomaps-leaflet.js")
    return {
        "lat": center.get("lat"),
        "long": center.get("long"),
        "zoom": center.get("zoom", 12),
        "basemap": basemap,
        "address_messages": address_messages(request_language(request, v.city.default_language)),
        # Context layers stand in for a basemap; over a street map they would only repeat it.
        "layers": []
        if basemap["kind"] != "none"
        else [
            *(c.page_config() for c in context_layers(v).values()),
            # House numbers of the gazetteer, asked for the view at street level.
            {"name": "addresses", "url": "/api/v1/map/layers/addresses.geojson", "min_zoom": 18},
        ],
    }
