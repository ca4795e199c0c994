"""Fixtures of the transport tests: Divia's real GTFS feed and small feeds cut from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.addresses.conftest import OPEN_DATA

DIJON = OPEN_DATA / "dijon"
DIVIA = DIJON / "divia_gtfs"
STOPS = [DIJON / "opendata" / "arrets-tram.geojson", DIJON / "opendata" / "arrets_bus_divia.geojson"]


@pytest.fixture(scope="session")
def divia() -> Path:
    if not (DIVIA / "routes.txt").is_file():
        pytest.skip(f"{DIVIA} is not available (Divia's GTFS, see the shared data README)")
    return DIVIA


@pytest.fixture
def small_feed(divia: Path, tmp_path: Path) -> Path:
    """The two tram lines of the real feed: their routes, trips, shapes, and every stop."""
    out = tmp_path / "gtfs"
    out.mkdir()
    for name in ("agency.txt", "stops.txt"):
        shutil.copy(divia / name, out / name)
    routes = (divia / "routes.txt").read_text(encoding="utf-8").splitlines()
    (out / "routes.txt").write_text(
        "\n".join([routes[0], *[r for r in routes[1:] if r.startswith("4-T")]]) + "\n"
    )
    trips = (divia / "trips.txt").read_text(encoding="utf-8").splitlines()
    tram_trips = [t for t in trips[1:] if t.startswith("4-T")]
    (out / "trips.txt").write_text("\n".join([trips[0], *tram_trips]) + "\n")
    shape_ids = {t.split(",")[2] for t in tram_trips}
    shapes = (divia / "shapes.txt").read_text(encoding="utf-8").splitlines()
    (out / "shapes.txt").write_text(
        "\n".join([shapes[0], *[s for s in shapes[1:] if s.split(",")[0] in shape_ids]]) + "\n"
    )
    return out
