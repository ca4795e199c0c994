"""The Dijon demo's places: schools, bike-share stations, shops and tram stops from the open data."""

from __future__ import annotations

from vigie.places.importer import do_import_places
from vigie.runtime import Vigie

DEMO_SOURCES = (
    ("dijon/opendata/equipements-enseignements.geojson", "dijon_schools"),
    ("dijon/opendata/caracteristiques_stations_velodi.geojson", "dijon_velodi"),
    ("dijon/opendata/commerces-de-dijon.geojson", "dijon_shops"),
    ("dijon/opendata/arrets-tram.geojson", "dijon_tram_stops"),
)


def load_demo_places(v: Vigie, progress: bool = False) -> list[str]:
    lines: list[str] = []
    for relative, mapping in DEMO_SOURCES:
        path = v.settings.open_data_dir / relative
        if not path.is_file():
            lines.append(f"places: {path} not found, skipped (set VIGIE_OPEN_DATA_DIR)")
            continue
        result = do_import_places(v, path, mapping, progress=progress)
        lines.append(f"places: {result.imported} from {path.name} ({len(result.skipped)} left out)")
    return lines


__all__ = ["DEMO_SOURCES", "load_demo_places"]
