"""Streets of many points at once: the same answer as reverse geocoding, point by point."""

from __future__ import annotations

import numpy as np

from vigie.addresses.builtin import BuiltinGeocoder
from vigie.addresses.nearest import street_names, street_points
from vigie.runtime import Vigie


def reverse_streets(v: Vigie, lat: np.ndarray, lon: np.ndarray) -> list[str]:
    geocoder = BuiltinGeocoder(v.db, v.city.zones)
    out = []
    for a, b in zip(lat.tolist(), lon.tolist(), strict=True):
        found = geocoder.reverse(a, b)
        out.append(found.street if found is not None else "")
    return out


def test_addresses_nearest_streets_by_hand(ban_gazetteer: Vigie) -> None:
    # 20 m north of Dijon's Rue de la Gare no. 1 (an address within 50 m); 40 m south of
    # Quetigny's avenue halfway between nos. 2 and 40 (its line, 170 m from either);
    # 300 m from everything; no position at all.
    m = 1 / 111_320
    lat = np.array([47.3230 + 20 * m, 47.3130 - 40 * m, 47.3300, 47.20])
    lon = np.array([5.0300, 5.1020, 5.0300, 4.90])
    assert street_names(ban_gazetteer.db, lat, lon) == [
        "Rue de la Gare",
        "Avenue du Général de Gaulle",
        "",
        "",
    ]
    assert street_names(ban_gazetteer.db, np.array([]), np.array([])) == []


def test_addresses_nearest_streets_agree_with_reverse(dijon_gazetteer: Vigie) -> None:
    """Points scattered around the real gazetteer's addresses (Dijon's shops and tram stops)."""
    with dijon_gazetteer.db.engine.connect() as conn:
        from sqlalchemy import text

        anchors = np.array(conn.execute(text("SELECT lat, lon FROM address_points")).all(), dtype=float)
    rng = np.random.default_rng(16)
    pick = anchors[rng.integers(0, len(anchors), 300)]
    # Up to about 90 m away: some on the address's street, some on another, some on none.
    lat = pick[:, 0] + rng.uniform(-1, 1, 300) * 0.0008
    lon = pick[:, 1] + rng.uniform(-1, 1, 300) * 0.0012
    fast = street_names(dijon_gazetteer.db, lat, lon)
    assert fast == reverse_streets(dijon_gazetteer, lat, lon)
    named = sum(1 for s in fast if s)
    assert 0 < named < 300  # both cases are exercised


def test_addresses_nearest_street_points_give_one_point_per_street(ban_gazetteer: Vigie) -> None:
    # Dijon's Rue de la Gare has nos. 1, 3 and 3 bis: its point is the middle one, no. 3;
    # Quetigny's avenue has nos. 2, 40 and 80: no. 40. Two points on each street, one
    # 300 m from everything, one with no position.
    m = 1 / 111_320
    lat = np.array([47.3230 + 20 * m, 47.3233 + 10 * m, 47.3130 - 40 * m, 47.3130, 47.3300, np.nan])
    lon = np.array([5.0300, 5.0306, 5.1020, 5.1079, 5.0300, np.nan])
    s_lat, s_lon = street_points(ban_gazetteer.db, lat, lon)
    assert s_lat[:4].tolist() == [47.3232, 47.3232, 47.3130, 47.3130]
    assert s_lon[:4].tolist() == [5.0305, 5.0305, 5.1040, 5.1040]
    assert np.isnan(s_lat[4:]).all() and np.isnan(s_lon[4:]).all()
    empty = street_points(ban_gazetteer.db, np.array([]), np.array([]))
    assert [len(a) for a in empty] == [0, 0]


def test_addresses_nearest_street_points_agree_with_street_names(dijon_gazetteer: Vigie) -> None:
    """Points around the real gazetteer: a point gets a street's point exactly when it gets
    a street's name, and points named after the same street get the same point."""
    with dijon_gazetteer.db.engine.connect() as conn:
        from sqlalchemy import text

        anchors = np.array(conn.execute(text("SELECT lat, lon FROM address_points")).all(), dtype=float)
    rng = np.random.default_rng(17)
    pick = anchors[rng.integers(0, len(anchors), 400)]
    lat = pick[:, 0] + rng.uniform(-1, 1, 400) * 0.0008
    lon = pick[:, 1] + rng.uniform(-1, 1, 400) * 0.0012
    names = street_names(dijon_gazetteer.db, lat, lon)
    s_lat, s_lon = street_points(dijon_gazetteer.db, lat, lon)
    assert [bool(n) for n in names] == (~np.isnan(s_lat)).tolist()
    by_name: dict[str, set[tuple[float, float]]] = {}
    for n, a, b in zip(names, s_lat.tolist(), s_lon.tolist(), strict=True):
        if n:
            by_name.setdefault(n, set()).add((a, b))
    assert by_name
    # A name may be shared by two communes' streets: never more points than that.
    assert max(len(points) for points in by_name.values()) <= 2
