"""The limits seam: the same behaviour from every backend (memory, database, Redis)."""

from __future__ import annotations

import pytest

from tests.limits.conftest import REDIS_URL, needs_redis, unique_prefix
from vigie.db import Database
from vigie.limits.sql import DatabaseLimitStore, side_file
from vigie.limits.store import FailOpen, MemoryLimitStore, gcra, make_limit_store

T0 = 1_900_000_000.0


def test_store_take_allows_a_burst_then_one_per_interval(store):
    assert [store.take("submit:1.2.3.4", 3, 60.0, T0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert store.take("submit:1.2.3.4", 3, 60.0, T0) == pytest.approx(20.0)
    assert store.take("submit:1.2.3.4", 3, 60.0, T0 + 10) == pytest.approx(10.0)  # refusals cost nothing
    assert store.take("submit:1.2.3.4", 3, 60.0, T0 + 20) == 0.0
    assert store.take("submit:1.2.3.4", 3, 60.0, T0 + 20) > 0
    assert store.take("submit:5.6.7.8", 3, 60.0, T0) == 0.0  # keys are independent
    assert store.take("submit:1.2.3.4", 3, 60.0, T0 + 200) == 0.0  # full again


def test_store_hit_counts_until_forgotten(store):
    assert [store.hit("login:pair:a", 100.0, T0 + i).count for i in range(3)] == [1, 2, 3]
    found = store.read(["login:pair:a", "login:pair:b"], T0 + 3)
    assert list(found) == ["login:pair:a"]
    assert found["login:pair:a"].count == 3 and found["login:pair:a"].last_at == pytest.approx(T0 + 2)
    assert store.read(["login:pair:a"], T0 + 200) == {}
    assert store.hit("login:pair:a", 100.0, T0 + 200).count == 1  # a new count after expiry


def test_store_reset_forgets_a_key(store):
    store.hit("login:pair:a", 100.0, T0)
    store.hit("login:pair:b", 100.0, T0)
    store.reset("login:pair:a")
    assert list(store.read(["login:pair:a", "login:pair:b"], T0)) == ["login:pair:b"]


def test_store_gcra_matches_the_stores():
    tat, wait = None, 0.0
    memory = MemoryLimitStore()
    for i in range(10):
        tat, wait = gcra(tat, T0 + i * 0.5, 4, 60.0) if wait == 0 else (tat, wait)
        assert (wait == 0) == (memory.take("k", 4, 60.0, T0 + i * 0.5) == 0)


def test_store_database_instances_on_one_database_count_together(vigie, vigie_settings):
    # Two app instances (as two workers) on the same database share their counts.
    other = Database(vigie_settings.resolved_database_url)
    a, b = DatabaseLimitStore(vigie.db), DatabaseLimitStore(other)
    try:
        assert a.take("submit:9.9.9.9", 2, 60.0, T0) == 0.0
        assert b.take("submit:9.9.9.9", 2, 60.0, T0) == 0.0
        assert a.take("submit:9.9.9.9", 2, 60.0, T0) > 0 and b.take("submit:9.9.9.9", 2, 60.0, T0) > 0
        a.hit("login:client:9.9.9.9", 60.0, T0)
        assert b.hit("login:client:9.9.9.9", 60.0, T0).count == 2
    finally:
        a.close()
        b.close()
        other.dispose()
    if vigie.db.dialect == "sqlite":  # beside the database, never in its single writer's way
        assert side_file(vigie.db.url).exists()


@needs_redis
def test_store_redis_uses_the_database_index_of_its_setting():
    import redis

    from vigie.limits.redis_store import RedisLimitStore

    prefix = unique_prefix()
    base = REDIS_URL.rsplit("/", 1)[0]
    store = RedisLimitStore.from_settings(base + "/2", 3, prefix)
    try:
        store.hit("login:pair:x", 60.0)
        assert store.client.connection_pool.connection_kwargs["db"] == 3
        in_3 = redis.Redis.from_url(base + "/3")
        in_2 = redis.Redis.from_url(base + "/2")
        assert in_3.exists(prefix + "count:login:pair:x") and not in_2.exists(prefix + "count:login:pair:x")
        in_3.delete(prefix + "count:login:pair:x")
        in_2.close()
        in_3.close()
    finally:
        store.close()


def test_store_factory_chooses_by_configuration(vigie, vigie_settings):
    chosen = make_limit_store(vigie_settings, vigie.db)
    assert isinstance(chosen, FailOpen) and isinstance(chosen.store, DatabaseLimitStore)
    with_redis = vigie_settings.model_copy(update={"redis_url": REDIS_URL})
    from vigie.limits.redis_store import RedisLimitStore

    assert isinstance(make_limit_store(with_redis, vigie.db).store, RedisLimitStore)  # type: ignore[attr-defined]


def test_store_failing_backend_lets_requests_through():
    class Broken:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
                raise ConnectionError("backend down")

            return fail

    store = FailOpen(Broken(), "broken")  # type: ignore[arg-type]
    assert store.take("k", 1, 60.0) == 0.0
    assert store.read(["k"]) == {}
    assert store.hit("k", 60.0).count == 0
