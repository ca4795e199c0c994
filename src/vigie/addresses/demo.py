"""The Dijon demo's gazetteer: real addresses and stop names from Dijon Métropole's open data.

The numbered addresses of the city's shops (about 2,300), the tram stops and
the bus stops, each through its bundled mapping, as ``vigie import addresses``
would load them. A city loads its BAN file the same way (docs/addresses.md).
"""

from __future__ import annotations

from vigie.addresses.importer import do_import_addresses
from vigie.runtime import Vigie

DEMO_SOURCES = (
    ("dijon/opendata/commerces-de-dijon.geojson", "dijon_commerces", "dijon-commerces"),
    ("dijon/opendata/arrets-tram.geojson", "dijon_tram_stops", "dijon-tram-stops"),
    ("dijon/opendata/arrets_bus_divia.geojson", "dijon_bus_stops", "dijon-bus-stops"),
)


def load_demo_gazetteer(v: Vigie, progress: bool = False) -> list[str]:
    lines: list[str] = []
    root = v.settings.open_data_dir
    for relative, mapping, source in DEMO_SOURCES:
        path = root / relative
        if not path.is_file():
            lines.append(f"gazetteer: {path} not found, skipped (set VIGIE_OPEN_DATA_DIR)")
            continue
        result = do_import_addresses(v, path, mapping, source, progress=progress)
        lines.append(
            f"gazetteer: {result.points} addresses, {result.places} streets and places from {path.name}"
        )
    return lines


__all__ = ["DEMO_SOURCES", "load_demo_gazetteer"]
