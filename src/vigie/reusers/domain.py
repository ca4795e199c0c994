"""Reusers' keys and quotas in plain Python: the key's text, its hash, the windows counted."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

KEY_PREFIX = "vk_"
MAX_QUOTA = 10_000_000


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(text: str) -> bool:
    return text.startswith(KEY_PREFIX) and 20 <= len(text) <= 100


@dataclass(frozen=True)
class Window:
    """One limit: ``limit`` requests per ``seconds`` (fixed windows aligned on UTC)."""

    name: str  # "minute", "day": the name the RateLimit headers give it
    seconds: int
    limit: int

    def start(self, now: float) -> int:
        return int(now // self.seconds) * self.seconds

    def reset(self, now: float) -> int:
        """Seconds until the window in force ends (at least 1)."""
        return max(1, self.start(now) + self.seconds - int(now))


@dataclass(frozen=True)
class Count:
    window: Window
    used: int  # requests counted in the window, this one included

    @property
    def remaining(self) -> int:
        return max(0, self.window.limit - self.used)

    @property
    def over(self) -> bool:
        return self.used > self.window.limit


def windows(per_minute: int, per_day: int) -> list[Window]:
    """The windows in force (a limit of 0 is none)."""
    out = []
    if per_minute > 0:
        out.append(Window("minute", 60, per_minute))
    if per_day > 0:
        out.append(Window("day", 86_400, per_day))
    return out


def policy_header(counted: list[Count]) -> str:
    """``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers): each quota, named."""
    return ", ".join(f'"{c.window.name}";q={c.window.limit};w={c.window.seconds}' for c in counted)


def state_header(counted: list[Count], now: float) -> str:
    """``RateLimit``: the quota closest to running out (the one exceeded, on a 429)."""
    tightest = min(counted, key=lambda c: (not c.over, c.remaining / c.window.limit))
    return f'"{tightest.window.name}";r={tightest.remaining};t={tightest.window.reset(now)}'
