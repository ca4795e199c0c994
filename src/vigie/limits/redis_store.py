"""The Redis backend of the limits seam (``VIGIE_REDIS_URL``).

Each use of Redis by Vigie has its own database index, so that its keys never
meet those of another program using the same server (an addok geocoder…) or
of the tests: the counters use the index given by ``VIGIE_REDIS_LIMITS_DB``,
or else the one in the URL's path (``redis://host:6379/2``), and every key
starts with ``VIGIE_REDIS_KEY_PREFIX``. Keys expire on their own.

A rate and a counter (a hash: ``count``, ``last``, ``expires``) are each
updated by one Lua script, atomic on the server.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from vigie.limits.store import Counter

# KEYS[1]: the key; ARGV: now, interval, period (seconds). Returns the wait, "0" when allowed.
_TAKE = """
local stored = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local tat = now
if stored and tonumber(stored) > now then tat = tonumber(stored) end
local new = tat + interval
if new - now > period then return tostring(new - now - period) end
redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil((new - now) * 1000))
return '0'
"""

# KEYS[1]: the key; ARGV: now, keep (seconds). Returns the new count. A counter past its
# expiry time (``now`` is the caller's clock, as for the other stores) starts again at 1.
_HIT = """
local now = tonumber(ARGV[1])
local expires = now + tonumber(ARGV[2])
local found = redis.call('HMGET', KEYS[1], 'count', 'expires')
local count = 1
if found[1] and found[2] and tonumber(found[2]) > now then count = tonumber(found[1]) + 1 end
redis.call('HSET', KEYS[1], 'count', count, 'last', ARGV[1], 'expires', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], math.ceil(expires * 1000))
return count
"""


class RedisLimitStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)
        self._hit = client.register_script(_HIT)

    @classmethod
    def from_settings(cls, url: str, db: int, prefix: str) -> RedisLimitStore:
        if db >= 0:  # the setting wins over the URL (redis-py lets the URL's index win)
            parts = urlsplit(url)
            if parts.scheme == "unix":  # the path is the socket's; the index goes in the query
                kept = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"]
                query = urlencode([*kept, ("db", str(db))])
                url = f"unix://{parts.netloc}{parts.path}?{query}"
            else:
                url = urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))
        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0), prefix)

    def take(self, key: str, per_period: int, period: float, now: float | None = None) -> float:
        now = time.time() if now is None else now
        wait = float(self._take(keys=[self.prefix + "rate:" + key], args=[now, period / per_period, period]))
        return max(wait, 0.001) if wait > 0 else 0.0

    def hit(self, key: str, keep: float, now: float | None = None) -> Counter:
        now = time.time() if now is None else now
        count = self._hit(keys=[self.prefix + "count:" + key], args=[repr(now), keep, repr(now + keep)])
        return Counter(int(count), now)

    def read(self, keys: list[str], now: float | None = None) -> dict[str, Counter]:
        if not keys:
            return {}
        pipe = self.client.pipeline(transaction=False)
        now = time.time() if now is None else now
        for key in keys:
            pipe.hmget(self.prefix + "count:" + key, "count", "last", "expires")
        out = {}
        for key, (count, last, expires) in zip(keys, pipe.execute(), strict=True):
            if count is not None and last is not None and expires is not None and float(expires) > now:
                out[key] = Counter(int(count), float(last))
        return out

    def reset(self, key: str) -> None:
        self.client.delete(self.prefix + "count:" + key, self.prefix + "rate:" + key)

    def close(self) -> None:
        self.client.close()
