"""Fixtures of the limits tests: a store per backend, Redis with a key prefix unique to the run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from vigie.limits.store import LimitStore, MemoryLimitStore
from vigie.runtime import Vigie

# Database index 2 of the machine's Redis belongs to Vigie's tests; keys carry a unique prefix
# so that runs in parallel never meet.
REDIS_URL = os.environ.get("VIGIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(
    not redis_available() and not os.environ.get("VIGIE_TEST_REDIS_URL"),
    reason=f"no Redis at {REDIS_URL}",
)


def unique_prefix() -> str:
    return f"vigie-test:{uuid.uuid4().hex}:"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    prefix = unique_prefix()
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", "database", pytest.param("redis", marks=needs_redis)])
def store(request: pytest.FixtureRequest, vigie: Vigie) -> Iterator[LimitStore]:
    made: LimitStore
    if request.param == "memory":
        made = MemoryLimitStore()
    elif request.param == "database":
        from vigie.limits.sql import DatabaseLimitStore

        made = DatabaseLimitStore(vigie.db)
    else:
        from vigie.limits.redis_store import RedisLimitStore

        made = RedisLimitStore.from_settings(REDIS_URL, -1, request.getfixturevalue("redis_prefix"))
    yield made
    made.close()
