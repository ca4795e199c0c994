"""ZoneIndex: one lookup for many points gives what a lookup per point gives."""

from __future__ import annotations

import random

from vigie.city.profile import PROFILES_DIR, load_profile


def test_zones_locate_all_answers_as_locate_each_point() -> None:
    zones = load_profile(PROFILES_DIR / "dijon").zones
    minx, miny, maxx, maxy = zones.bbox
    rng = random.Random(7)
    # Inside and outside the city, and corners of zones: shared by two communes' borders.
    points = [(miny + rng.random() * (maxy - miny), minx + rng.random() * (maxx - minx)) for _ in range(3000)]
    points += [(miny - 0.01, minx - 0.01), (maxy + 1.0, maxx + 1.0)]
    corners = [
        (lat, long)
        for zone in zones.zones[:6]
        for polygon in getattr(zone.geometry, "geoms", [zone.geometry])
        for long, lat in list(polygon.exterior.coords)[:40]
    ]
    points += corners

    found = zones.locate_all(points)

    assert found == [zones.locate(lat, long) for lat, long in points]
    assert sum(z is None for z in found) > 2  # some outside, some inside
    assert sum(z is not None for z in found) > 100
    assert zones.locate_all([]) == []


def test_zones_locate_all_of_a_border_point_is_the_one_locate_gives() -> None:
    zones = load_profile(PROFILES_DIR / "dijon").zones
    # A vertex that two zones share is covered by both: the answer must not depend on the path.
    shared = None
    for a in zones.zones:
        for b in zones.zones:
            if a.code < b.code and a.geometry.touches(b.geometry):
                common = a.geometry.boundary.intersection(b.geometry.boundary)
                coords = [c for g in getattr(common, "geoms", [common]) for c in getattr(g, "coords", [])]
                if coords:
                    shared = coords[0]
                    break
        if shared:
            break
    assert shared is not None
    long, lat = shared
    assert len([z for z in zones.zones if z.contains(lat, long)]) >= 2
    assert zones.locate_all([(lat, long)]) == [zones.locate(lat, long)]
