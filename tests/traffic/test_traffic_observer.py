"""Learning detectors' profiles from a history: the grouped (numpy) computation gives what
``SlotStats.learn`` gives one count at a time."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from tests.telemetry.helpers import add_asset
from vigie.runtime import Vigie
from vigie.traffic.domain import MEMORY, SlotStats, slot_of
from vigie.traffic.observer import Key, learn_profiles, load_profiles

START = datetime(2026, 11, 2, tzinfo=UTC)


def history(
    seed: int, weeks: int, missing: str | None
) -> list[tuple[str, datetime, float, float | None, float | None]]:
    rng = random.Random(seed)
    counts = []
    for k in range(weeks * 7 * 24 * 12):
        at = START + timedelta(weeks=weeks * seed, minutes=5 * k)
        for det in ("DET-A", "DET-B", "DET-C"):
            speed = None if det == missing and rng.random() < 0.3 else round(rng.uniform(5, 90), 1)
            counts.append((det, at, round(rng.random(), 3), speed, float(rng.randint(0, 40))))
    return counts


def one_at_a_time(v: Vigie, batches: list[list]) -> dict[Key, SlotStats]:
    expected: dict[Key, SlotStats] = {}
    for counts in batches:
        for det, at, occupancy, speed, flow in counts:
            key = (det, *slot_of(at.astimezone(v.city.timezone)))
            expected.setdefault(key, SlotStats()).learn(occupancy, speed, flow)
    return expected


def assert_same(got: dict[Key, SlotStats], expected: dict[Key, SlotStats]) -> None:
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        have = got[key]
        assert have.n == want.n, key
        for name in ("occupancy", "occupancy_var", "speed", "intensity"):
            a, b = getattr(have, name), getattr(want, name)
            assert (a is None) == (b is None), (key, name)
            if a is not None:
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (key, name, a, b)


def test_observer_learn_profiles_grouped_equals_one_count_at_a_time(vigie: Vigie) -> None:
    for det in ("DET-A", "DET-B", "DET-C"):
        add_asset(vigie, det, "traffic_detector", detectorType="inductiveLoop")
    # Two weeks: six counts per slot, all new (the grouped mean and population variance);
    # DET-C misses speeds, then the same slots again (both replayed count by count).
    first = history(0, 2, missing="DET-C")
    second = history(1, 2, missing=None)
    assert learn_profiles(vigie, first) == 3 * 7 * 96
    assert_same(load_profiles(vigie), one_at_a_time(vigie, [first]))
    assert learn_profiles(vigie, second) == 3 * 7 * 96
    assert_same(load_profiles(vigie), one_at_a_time(vigie, [first, second]))


def test_observer_learn_profiles_past_memory_replayed(vigie: Vigie) -> None:
    add_asset(vigie, "DET-A", "traffic_detector", detectorType="inductiveLoop")
    weeks = MEMORY // 3 + 1  # more than MEMORY counts per slot: weights stop being 1/n
    counts = [c for c in history(0, weeks, missing=None) if c[0] == "DET-A"]
    learn_profiles(vigie, counts)
    got = load_profiles(vigie)
    assert min(st.n for st in got.values()) > MEMORY
    assert_same(got, one_at_a_time(vigie, [counts]))
