"""Reverse geocoding's address points in memory: the right points, and a fresh copy after imports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from vigie import cacheversions
from vigie.addresses import builtin
from vigie.addresses.builtin import BuiltinGeocoder
from vigie.addresses.importer import do_import_addresses
from vigie.addresses.pointgrid import CHECK_EVERY_S, LAT_STEP, LON_STEP, VERSION_NAME, GridHolder, PointGrid
from vigie.runtime import Vigie


def test_pointgrid_within_finds_exactly_the_points_in_the_box() -> None:
    rng = np.random.default_rng(7)
    lat = np.concatenate([47.32 + rng.uniform(-0.02, 0.02, 5000), -0.0005 + rng.uniform(-0.01, 0.01, 500)])
    lon = np.concatenate([5.04 + rng.uniform(-0.03, 0.03, 5000), rng.uniform(-0.01, 0.01, 500)])
    # Points on cell edges, where a floor taken the wrong way would lose them.
    lat[:50] = np.round(lat[:50] / LAT_STEP) * LAT_STEP
    lon[:50] = np.round(lon[:50] / LON_STEP) * LON_STEP
    grid = PointGrid(lat, lon, np.arange(len(lat), dtype=np.int32), version=0)
    for k in range(200):
        c = k % len(lat)
        la, lo = float(lat[c]) + rng.uniform(-0.001, 0.001), float(lon[c]) + rng.uniform(-0.001, 0.001)
        r = rng.uniform(0.0001, 0.004)
        box = (la - r, la + r, lo - 1.5 * r, lo + 1.5 * r)
        want = np.flatnonzero((lat >= box[0]) & (lat <= box[1]) & (lon >= box[2]) & (lon <= box[3]))
        assert sorted(grid.place[grid.within(*box)].tolist()) == want.tolist()
    assert len(PointGrid(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int32), 0).within(0, 1, 0, 1)) == 0


def _cursor(v: Vigie) -> Any:
    @contextmanager
    def opened() -> Iterator[Any]:
        g = BuiltinGeocoder(v.db, v.city.zones)
        with g._reader() as db:
            yield db.cursor

    return opened


def test_pointgrid_import_in_another_process_seen_after_the_check_interval(vigie: Vigie) -> None:
    now = [0.0]
    holder = GridHolder(clock=lambda: now[0])
    assert len(holder.get(_cursor(vigie))) == 0
    # Another process's import: its rows and its counter, nothing said to this process.
    with vigie.db.session(write=True) as s:
        s.execute(
            text(
                "INSERT INTO address_points (id, source, place_id, number, rep, lat, lon, strip) "
                "VALUES ('x_1', 'other', 1, 1, '', 47.3, 5.0, 1000)"
            )
        )
        cacheversions.bump(s, VERSION_NAME)
        s.commit()
    now[0] += CHECK_EVERY_S / 2
    assert len(holder.get(_cursor(vigie))) == 0  # not read again within the interval
    now[0] += CHECK_EVERY_S
    grid = holder.get(_cursor(vigie))
    assert len(grid) == 1 and grid.version == 1
    now[0] += CHECK_EVERY_S * 2
    assert holder.get(_cursor(vigie)) is grid  # same version: the same grid, not read again


def test_pointgrid_import_in_this_process_seen_at_once(vigie: Vigie, ban_file: Path) -> None:
    g = BuiltinGeocoder(vigie.db, vigie.city.zones)
    vigie.caches.gazetteer = g  # the process's own, as the import finds it
    before = g.reverse(47.31309, 5.1040)
    assert before is not None and before.kind == "zone"
    do_import_addresses(vigie, ban_file, source="ban")
    after = g.reverse(47.31309, 5.1040)
    assert after is not None and (after.kind, after.id) == ("address", "21515_3000_00040")


def test_pointgrid_reverse_away_from_every_address_sends_no_statement(
    ban_gazetteer: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = BuiltinGeocoder(ban_gazetteer.db, ban_gazetteer.city.zones)
    assert g.reverse(47.3175, 5.1020) is not None  # the grid read (and its version)
    sent: list[str] = []
    rows = builtin._Reader.rows

    def recorded(self: builtin._Reader, sql: str, params: dict[str, Any]) -> list[Any]:
        sent.append(sql)
        return rows(self, sql, params)

    monkeypatch.setattr(builtin._Reader, "rows", recorded)
    far = g.reverse(47.3175, 5.1020)
    assert far is not None and far.kind == "zone" and sent == []
    near = g.reverse(47.31309, 5.1040)
    assert near is not None and near.kind == "address" and len(sent) == 1
