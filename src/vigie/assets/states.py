"""Live state of the assets from their latest telemetry: ok, fault, offline, unknown.

The state each asset's latest telemetry gives (:func:`vigie.assets.views.telemetry_state`)
is computed for the whole fleet at most every ``STATE_TTL_S`` seconds
(:func:`state_snapshot`) and shared by every request meanwhile. It is served
apart from the map layers (``/api/v1/assets/states``), or spliced into a copy
of a cached layer (:func:`state_layer`, ``state=true``), so that telemetry
never invalidates the layers themselves.

This module builds on :mod:`vigie.assets.geojson` (a state layer is a layer);
that module knows nothing of states.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from vigie.assets.actions import AssetFilter, data_version
from vigie.assets.geojson import Layer, cache_of, digest, feature_id, geojson_layer, new_layer
from vigie.assets.storage import AssetRow
from vigie.assets.views import STATES, telemetry_state
from vigie.db import plain_rows
from vigie.runtime import Vigie


@dataclass(frozen=True)
class TelemetryFeed:
    """What live states need from the telemetry and alarms contexts.

    Plugged in by :mod:`vigie.bootstrap` (``Vigie.asset_telemetry``): those
    contexts build on assets, so assets may not import them.
    """

    # asset type, asset id -> telemetry kind (None: the asset sends none)
    kind_of: Callable[[str, str], str | None]
    # asset id -> (when its latest message arrived, epoch ms; its latest values)
    latest_values: Callable[[], Mapping[str, tuple[float, dict[str, Any]]]]
    # telemetry kind -> seconds without a message after which an asset is offline
    silent_after: Callable[[], dict[str, float]]
    # one asset's latest values and recent history (its page, for agents)
    latest_state: Callable[[str], dict[str, Any] | None]
    history: Callable[[str], list[dict[str, Any]]]


# Without telemetry every asset's state is "unknown".
NO_TELEMETRY = TelemetryFeed(
    kind_of=lambda asset_type, asset_id: None,
    latest_values=dict,
    silent_after=dict,
    latest_state=lambda asset_id: None,
    history=lambda asset_id: [],
)

STATE_TTL_S = 5.0  # live states are recomputed at most this often
# The end of an encoded feature with its state as the last property (features end with "}}").
STATE_TAILS = {s: f',"state":"{s}"}}}}'.encode() for s in STATES}


@dataclass
class StateSnapshot:
    """The live state of every asset at one moment: the states other than ok, and counts."""

    at: datetime
    taken: float  # time.monotonic() when computed
    states: dict[str, str]  # asset id -> fault | offline | unknown (absent: ok)
    types: dict[str, str]  # asset id -> asset type, for the assets not ok
    counts: dict[str, Counter[str]]  # asset type -> state -> number of assets
    version: str = ""
    _tails: dict[bytes, bytes] | None = field(default=None, repr=False)
    _bodies: dict[tuple[str, ...], tuple[bytes, str]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def state_of(self, asset_id: str) -> str:
        return self.states.get(asset_id, "ok")

    def tails(self) -> dict[bytes, bytes]:
        """Encoded id -> the end of its feature with its state, for the assets not ok."""
        with self._lock:
            if self._tails is None:
                self._tails = {k.encode(): STATE_TAILS[s] for k, s in self.states.items()}
            return self._tails

    def summary(self, types: list[str]) -> dict[str, Any]:
        """Counts and the ids of the assets not ok (sorted), for the asset types asked (all if none)."""
        wanted = set(types or self.counts)
        counts: Counter[str] = Counter({s: 0 for s in STATES})
        for t in wanted:
            counts.update(self.counts.get(t, Counter()))
        ids: dict[str, list[str]] = {s: [] for s in STATES if s != "ok"}
        for asset_id, state in self.states.items():
            if self.types.get(asset_id) in wanted:
                ids[state].append(asset_id)
        for lst in ids.values():
            lst.sort()
        return {"counts": dict(counts), "ids": ids}

    def json_for(self, types: list[str]) -> tuple[bytes, str]:
        """The states document of some asset types and its ETag (which ignores ``as_of``)."""
        key = tuple(sorted(set(types)))
        with self._lock:
            got = self._bodies.get(key)
        if got is None:
            summary = self.summary(list(key))
            etag = f'W/"{digest(orjson.dumps(summary).decode())}"'
            as_of = self.at.isoformat(timespec="seconds").replace("+00:00", "Z")
            got = (orjson.dumps({"as_of": as_of, **summary}), etag)
            with self._lock:
                self._bodies[key] = got
        return got


class StateCache:
    """The latest snapshot, and the asset kinds it was computed from (one per Vigie)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one computation at a time
        self.snapshot: StateSnapshot | None = None
        self.kinds: tuple[str, dict[str, tuple[str, str | None]]] | None = None


def _state_cache_of(v: Vigie) -> StateCache:
    cache = v.caches.asset_states
    if cache is None:
        cache = v.caches.asset_states = StateCache()
    return cache


def _asset_kinds(v: Vigie, feed: TelemetryFeed, cache: StateCache) -> dict[str, tuple[str, str | None]]:
    """asset id -> (asset type, telemetry kind), re-read only after an asset write."""
    kind_of = feed.kind_of
    version = data_version(v)
    got = cache.kinds
    if got is not None and got[0] == version:
        return got[1]
    with v.db.session() as s:
        rows = plain_rows(s, select(AssetRow.id, AssetRow.type))
    by_type: dict[str, tuple[str, str | None]] = {}  # one tuple per type, shared by its assets
    kinds: dict[str, tuple[str, str | None]] = {}
    for id_, type_ in rows:
        pair = by_type.get(type_)
        if pair is None:
            pair = by_type[type_] = (type_, kind_of(type_, ""))
        kinds[id_] = pair if pair[1] is not None else (type_, kind_of(type_, id_))
    cache.kinds = (version, kinds)
    return kinds


_NEVER_SEEN: tuple[float, None] = (0.0, None)  # telemetry_state: "unknown"


def _compute_states(v: Vigie, cache: StateCache) -> StateSnapshot:
    feed = v.asset_telemetry or NO_TELEMETRY
    kinds = _asset_kinds(v, feed, cache)
    latest = feed.latest_values()
    silent = feed.silent_after()
    now_ms = time.time() * 1000
    states: dict[str, str] = {}
    types: dict[str, str] = {}
    counts: dict[str, Counter[str]] = {}
    for asset_id, (type_, kind) in kinds.items():
        received_ms, values = latest.get(asset_id, _NEVER_SEEN)
        quiet_s = (now_ms - received_ms) / 1000 if values is not None else 0.0
        state = telemetry_state(kind, values, quiet_s, silent.get(kind or ""))
        counter = counts.get(type_)
        if counter is None:
            counter = counts[type_] = Counter()
        counter[state] += 1
        if state != "ok":
            states[asset_id] = state
            types[asset_id] = type_
    snap = StateSnapshot(datetime.now(UTC), time.monotonic(), states, types, counts)
    snap.version = digest(sorted(states.items()), sorted((t, sorted(c.items())) for t, c in counts.items()))
    return snap


def state_snapshot(v: Vigie, max_age_s: float | None = None) -> StateSnapshot:
    """The live states, recomputed when older than ``max_age_s`` (default ``STATE_TTL_S``).

    One computation at a time: concurrent callers wait for it and share it.
    """
    max_age = STATE_TTL_S if max_age_s is None else max_age_s
    cache = _state_cache_of(v)
    with cache.lock:
        snap = cache.snapshot
        if snap is None or time.monotonic() - snap.taken >= max_age:
            snap = cache.snapshot = _compute_states(v, cache)
        return snap


# --- layers with the states spliced in --------------------------------------------------------


def _with_states(parts: list[bytes], tails: dict[bytes, bytes]) -> list[bytes]:
    """Each feature with ``"state"`` as its last property (features end with ``}}``)."""
    ok = STATE_TAILS["ok"]
    return [p[:-2] + tails.get(feature_id(p), ok) for p in parts]


def state_layer(v: Vigie, f: AssetFilter, attributes: list[str] | None = None) -> Layer:
    """The (cached) layer of :func:`vigie.assets.geojson.geojson_layer` with, in each
    feature's properties, ``state`` (ok, fault, offline, unknown) from the latest
    telemetry, at most ``STATE_TTL_S`` old.

    A copy of the cached layer, made again when the layer or the states change.
    """
    base = geojson_layer(v, f, attributes)  # checks the filter and the attributes
    snap = state_snapshot(v)
    cache = cache_of(v)
    key = (f.key(), tuple(attributes or []), "state")
    version = f"{base.version}|{base.etag}|{snap.version}"
    layer = cache.get(key, version)
    if layer is not None:
        return layer
    with cache.builder(key):
        layer = cache.get(key, version)
        if layer is None:
            parts = _with_states(base.parts, snap.tails())
            layer = new_layer(key, version, parts, cache.previous(key))
            cache.put(key, layer)
        return layer


__all__ = [
    "NO_TELEMETRY",
    "STATE_TAILS",
    "STATE_TTL_S",
    "StateSnapshot",
    "TelemetryFeed",
    "state_layer",
    "state_snapshot",
]
