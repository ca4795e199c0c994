"""The basemap seam: what draws the streets under Vigie's maps, chosen by ``VIGIE_BASEMAP``.

- ``NoBasemap`` (empty setting, the default): pages draw only Vigie's own context
  layers (communes, public transport) and never ask a third party for anything;
- ``PmtilesBasemap`` (a path to a ``.pmtiles`` archive): Vigie serves the file
  itself with HTTP range requests (:mod:`vigie.maps.web`) and pages draw its
  vector tiles on a canvas with protomaps-leaflet;
- ``RasterBasemap`` (an ``http(s)`` URL template with ``{z}``, ``{x}``, ``{y}``):
  pages load image tiles from that server, the one third party the
  Content-Security-Policy then allows.

Each kind says what pages need to draw it (:meth:`Basemap.page_config`) and which
origin, if any, the CSP must allow (:meth:`Basemap.csp_origin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from vigie.errors import ConfigProblem, ConfigurationError

if TYPE_CHECKING:
    from vigie.runtime import Vigie

PMTILES_URL = "/api/v1/map/basemap.pmtiles"
OSM = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
PROTOMAPS = '<a href="https://protomaps.com">Protomaps</a>'
SETTING = "VIGIE_BASEMAP"


class Basemap:
    kind: ClassVar[str] = "none"

    def page_config(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def csp_origin(self) -> str:
        return ""


@dataclass(frozen=True)
class NoBasemap(Basemap):
    kind: ClassVar[str] = "none"


@dataclass(frozen=True)
class PmtilesHeader:
    """The fields of a PMTiles v3 header that pages and checks need."""

    tile_type: int  # 1 = MVT vector tiles, 2 png, 3 jpeg, 4 webp, 5 avif
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
    center: tuple[float, float, int]  # lon, lat, zoom

    @classmethod
    def parse(cls, head: bytes, where: str) -> PmtilesHeader:
        from pmtiles.tile import MagicNumberNotFound, SpecVersionUnsupported, deserialize_header

        if len(head) < 127:
            raise _problem(where, "is not a PMTiles archive (shorter than a PMTiles header)")
        try:
            h = deserialize_header(head)
        except (MagicNumberNotFound, UnicodeDecodeError):
            raise _problem(where, "is not a PMTiles archive (no PMTiles header)") from None
        except SpecVersionUnsupported:
            raise _problem(where, f"is a PMTiles version {head[7]} archive; Vigie reads version 3") from None
        return cls(
            int(h["tile_type"].value),
            h["min_zoom"],
            h["max_zoom"],
            (h["min_lon_e7"] / 1e7, h["min_lat_e7"] / 1e7, h["max_lon_e7"] / 1e7, h["max_lat_e7"] / 1e7),
            (h["center_lon_e7"] / 1e7, h["center_lat_e7"] / 1e7, h["center_zoom"]),
        )


@dataclass(frozen=True)
class PmtilesBasemap(Basemap):
    kind: ClassVar[str] = "pmtiles"
    path: Path
    header: PmtilesHeader
    attribution: str = ""

    def page_config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": PMTILES_URL,
            "max_zoom": self.header.max_zoom,
            "attribution": self.attribution or f"{PROTOMAPS} {OSM}",
        }


@dataclass(frozen=True)
class RasterBasemap(Basemap):
    kind: ClassVar[str] = "raster"
    url: str
    attribution: str = ""

    def page_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "attribution": self.attribution or OSM}

    def csp_origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def _problem(where: str, message: str) -> ConfigurationError:
    return ConfigurationError([ConfigProblem(where, None, SETTING, message)])


def make_basemap(value: str, attribution: str = "") -> Basemap:
    """The basemap named by the setting; a clear :class:`ConfigurationError` otherwise."""
    value = value.strip()
    if not value:
        return NoBasemap()
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise _problem(value, "a tile URL needs a host")
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in value]
        if missing:
            raise _problem(value, f"a tile URL template needs {', '.join(missing)}")
        return RasterBasemap(value, attribution)
    if parts.scheme and len(parts.scheme) > 1:
        raise _problem(value, "expected a path to a .pmtiles file or an http(s) tile URL template")
    path = Path(value).expanduser()
    if path.suffix != ".pmtiles":
        raise _problem(value, "expected a path to a .pmtiles file or an http(s) tile URL template")
    try:
        with path.open("rb") as f:
            head = f.read(127)
    except OSError as exc:
        raise _problem(str(path), f"cannot be read: {exc.strerror or exc}") from None
    header = PmtilesHeader.parse(head, str(path))
    if header.tile_type != 1:
        raise _problem(str(path), "holds image tiles; Vigie draws vector (MVT) PMTiles archives")
    return PmtilesBasemap(path.resolve(), header, attribution)


def basemap_of(v: Vigie) -> Basemap:
    """The platform's basemap, checked once (the app factory asks first, so a bad setting stops start-up)."""
    found = v.basemap
    if found is None:
        found = v.basemap = make_basemap(v.settings.basemap, v.settings.basemap_attribution)
    return found
