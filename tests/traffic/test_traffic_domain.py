"""A detector's usual profile and what counts as congestion against it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigie.errors import ValidationFailed
from vigie.traffic.domain import MIN_COUNTS, SlotStats, check_geometry, check_period, congested, slot_of


def learnt(values: list[float]) -> SlotStats:
    st = SlotStats()
    for x in values:
        st.learn(x, 40.0, 100)
    return st


def test_traffic_slot_is_weekday_and_quarter_hour():
    assert slot_of(datetime(2026, 12, 7, 8, 14)) == (0, 32)  # a Monday, 08:00-08:15
    assert slot_of(datetime(2026, 12, 13, 23, 59)) == (6, 95)


def test_traffic_profile_mean_and_spread_follow_the_counts():
    st = learnt([0.2, 0.3, 0.2, 0.3])
    assert st.occupancy == pytest.approx(0.25)
    assert st.spread() == pytest.approx(0.05)
    assert st.n == 4


def test_traffic_no_verdict_before_enough_counts():
    assert congested(None, 0.9, False) is None
    assert congested(learnt([0.1] * (MIN_COUNTS - 1)), 0.9, False) is None


def test_traffic_congestion_is_judged_against_the_slot_usual():
    peak = learnt([0.45, 0.5, 0.55, 0.5, 0.48, 0.52])  # a busy road at 08:00
    night = learnt([0.02, 0.03, 0.02, 0.04, 0.03, 0.02])
    assert congested(peak, 0.55, False) is False  # the usual rush hour
    assert congested(night, 0.55, False) is True  # the same at 03:00 is news
    assert congested(night, 0.2, False) is False  # unusual but not a jam (below 35 %)
    assert congested(peak, 0.85, False) is True


def test_traffic_congestion_ends_with_hysteresis():
    night = learnt([0.05] * 8)
    assert congested(night, 0.4, False) is True
    assert congested(night, 0.2, True) is True  # still well above usual: stays congested
    assert congested(night, 0.1, True) is False


def test_traffic_geometry_checked_with_its_bbox():
    geom, bbox = check_geometry({"type": "LineString", "coordinates": [[5.03, 47.32], [5.04, 47.33]]})
    assert bbox == (5.03, 47.32, 5.04, 47.33) and geom["type"] == "LineString"
    for bad in (
        None,
        {"type": "Circle"},
        {"type": "LineString", "coordinates": [[5.03, 47.32]]},
        {"type": "Point", "coordinates": [500, 47]},
        {"type": "Point", "coordinates": ["5", 47]},
        {"type": "Polygon", "coordinates": [[[5, 47], [5.1, 47], [5, 47]]]},
    ):
        with pytest.raises(ValidationFailed):
            check_geometry(bad)


def test_traffic_period_must_end_after_it_starts():
    a, b = datetime(2026, 12, 7, 8, tzinfo=UTC), datetime(2026, 12, 8, 8, tzinfo=UTC)
    check_period(a, b)
    with pytest.raises(ValidationFailed):
        check_period(b, a)
    with pytest.raises(ValidationFailed):
        check_period(a.replace(tzinfo=None), b)
