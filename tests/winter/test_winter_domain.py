"""Circuits cut into pieces and positions matched to them."""

from __future__ import annotations

import pytest

from vigie.errors import ValidationFailed
from vigie.winter.domain import (
    SEGMENT_M,
    Network,
    PlanLevel,
    Projection,
    check_line,
    cut,
    line_length_m,
    raises,
)

# About 1 km due east along a street of Dijon, then 300 m north.
LINE = [(5.0300, 47.3200), (5.0432, 47.3200), (5.0432, 47.3227)]


def test_winter_line_cut_into_pieces_of_fifty_metres():
    length = line_length_m(LINE)
    assert 1290 < length < 1310
    pieces = cut(LINE, Projection(*LINE[0]), 0)
    assert sum(p.length for p in pieces) == pytest.approx(length)
    assert all(p.length == pytest.approx(SEGMENT_M) for p in pieces[:-1])
    assert [p.seq for p in pieces] == list(range(len(pieces)))
    corner = next(p for p in pieces if len(p.parts) == 2)  # the piece round the corner
    assert corner.length == pytest.approx(SEGMENT_M)


def test_winter_positions_match_the_pieces_nearby_only():
    net = Network([LINE, [(5.0300, 47.3300), (5.0400, 47.3300)]])
    on = net.match(5.03005, 47.32005)  # 6 m from the first piece
    assert [(p.circuit, p.seq) for p in on] == [(0, 0)]
    assert net.match(5.0300, 47.3205) == []  # 55 m north of the street
    corner = net.match(5.0432, 47.3200)
    assert {p.circuit for p in corner} == {0} and len(corner) in (1, 2)
    assert [(p.circuit, p.seq) for p in net.match(5.0350, 47.33001)] != []


def test_winter_levels_rise_in_order():
    assert raises(None, PlanLevel.VEILLE)
    assert raises(PlanLevel.VEILLE, PlanLevel.INTERVENTION)
    assert not raises(PlanLevel.INTERVENTION, PlanLevel.ALERTE)


def test_winter_line_checked():
    for bad in (None, [], [[5, 47]], [[5, 47], ["x", 47]], [[5, 47], [500, 47]]):
        with pytest.raises(ValidationFailed):
            check_line(bad)
