"""Sign-in throttling: growing delays after failed sign-ins, audited, never a lock-out for good.

Three counters of failures, shared by every worker (the limits seam,
``vigie.limits``), each forgotten a day after its last failure:

- per account and address: :data:`FREE_PER_PAIR` free failures, then a delay
  of 1 s, 2 s, 4 s… (doubling) before the next attempt from that address;
- per address, whatever the account (password spraying): after
  :data:`FREE_PER_CLIENT`;
- per account, from addresses where it never signed in (attacks spread over
  many addresses): after :data:`FREE_PER_ACCOUNT`.

Every delay stops doubling at ``login_max_delay_seconds`` (15 min), and the
account-wide one does not apply from an address where the account signed in
during the last :data:`KNOWN_DAYS` days: an attacker elsewhere can slow
strangers down, never lock the real owner out. An attempt made during a delay
is refused (429, with Retry-After) without checking the password. Each failure
is written to the audit log with the address and the delay it starts.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from sqlalchemy import select

from vigie.accounts.actions import authenticate, do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.storage import UserRow
from vigie.errors import TooManyRequests, Unauthorized
from vigie.limits.store import Counter, store_of
from vigie.runtime import Vigie

log = logging.getLogger(__name__)

FREE_PER_PAIR = 5
FREE_PER_CLIENT = 20
FREE_PER_ACCOUNT = 50
FORGET_SECONDS = 24 * 3600
KNOWN_DAYS = 90


def clock() -> float:
    """Epoch seconds (a function, so that tests can move time)."""
    return time.time()


def delay(failures: int, free: int, cap: float) -> float:
    """Seconds to wait after ``failures`` failures when the first ``free`` cost nothing."""
    if failures <= free:
        return 0.0
    return float(min(2 ** min(failures - free - 1, 30), cap))


@dataclass(frozen=True)
class Keys:
    pair: str
    client: str
    account: str
    known: str

    @classmethod
    def of(cls, email: str, client: str) -> Keys:
        # The e-mail is hashed: counters hold no personal data and keys stay short.
        account = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
        client = client[:64]
        return cls(
            pair=f"login:pair:{account}:{client}",
            client=f"login:client:{client}",
            account=f"login:account:{account}",
            known=f"login:known:{account}:{client}",
        )


def wait_before_attempt(v: Vigie, keys: Keys, now: float | None = None) -> float:
    """Seconds before the next sign-in attempt with these keys is heard (0: now)."""
    now = clock() if now is None else now
    cap = v.settings.login_max_delay_seconds
    found = store_of(v).read([keys.pair, keys.client, keys.account, keys.known], now)
    limits = [(keys.pair, FREE_PER_PAIR), (keys.client, FREE_PER_CLIENT)]
    if keys.known not in found:
        limits.append((keys.account, FREE_PER_ACCOUNT))
    waits = [_wait(found.get(key), free, cap, now) for key, free in limits]
    return max(waits)


def _wait(counter: Counter | None, free: int, cap: float, now: float) -> float:
    if counter is None:
        return 0.0
    return max(counter.last_at + delay(counter.count, free, cap) - now, 0.0)


def do_sign_in(v: Vigie, email: str, password: str, client: str) -> Agent:
    """Check an agent's credentials, throttled (see the module); the use case of every login endpoint."""
    keys = Keys.of(email, client)
    wait = wait_before_attempt(v, keys)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyRequests(f"too many failed sign-ins; try again in {seconds} s", retry_after=seconds)
    try:
        agent = authenticate(v.db, email, password)
    except Unauthorized:
        _record_failure(v, keys, email, client)
        raise
    store = store_of(v)
    store.reset(keys.pair)
    store.hit(keys.known, KNOWN_DAYS * 86400, clock())
    return agent


def _record_failure(v: Vigie, keys: Keys, email: str, client: str) -> None:
    store = store_of(v)
    now = clock()
    pair = store.hit(keys.pair, FORGET_SECONDS, now)
    store.hit(keys.client, FORGET_SECONDS, now)
    known = keys.known in store.read([keys.known], now)
    if not known:
        store.hit(keys.account, FORGET_SECONDS, now)
    wait = wait_before_attempt(v, keys, now)
    with v.db.session(write=True) as s:
        user_id = s.scalar(select(UserRow.id).where(UserRow.email == (email or "").strip().lower()))
        target = ("user", str(user_id)) if user_id is not None else ("login", "unknown account")
        do_audit(
            s,
            None,
            "auth.login_failed",
            *target,
            {"client": client[:64], "failures": pair.count, "delay_seconds": math.ceil(wait)},
        )
        s.commit()
    if wait > 0:
        log.warning("sign-in from %s delayed %.0f s after %d failures", client[:64], wait, pair.count)
