"""The ingest pipeline: validate -> update latest state + append series -> evaluate rules.

Sources call :meth:`IngestPipeline.submit_many` (MQTT, each socket read's messages at
once) or :meth:`IngestPipeline.ingest` (the in-process simulator) from their own
thread. Per message the work is in memory only. A writer thread flushes the series
every ``telemetry_flush_ms`` or ``telemetry_flush_max`` messages, in transactions
of a few thousand rows; alarm changes have a thread of their own (and go first), are
written in their own transaction and their events are published after commit. Bad
input never raises: it becomes a dead letter with its reason.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from vigie import metrics
from vigie.jsondepth import MAX_DEPTH, MAX_DIGITS, refusal
from vigie.telemetry import writer
from vigie.telemetry.registry import AssetRegistry
from vigie.telemetry.schema import VALIDATORS, SchemaError, parse_ts, validate_ack

if TYPE_CHECKING:
    from vigie.alarms.engine import Op
    from vigie.runtime import Vigie

log = logging.getLogger(__name__)
FUTURE_MS = 24 * 3600 * 1000  # a clock more than a day ahead is a broken clock
PAST_MS = 946_684_800_000  # 2000-01-01T00:00:00Z: an earlier clock was never set
MAX_PENDING = 200_000
LATEST_PER_FLUSH = 1000
REPEAT_WRITE_SECONDS = 10.0  # at most one write per active alarm for its repeats
CHUNK = (
    4000  # samples per write transaction  # messages waiting for the writer before sources are slowed down
)
DEAD_PAYLOAD_CHARS = 2000


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


class Engine(Protocol):
    def evaluate(self, asset: Any, state: dict[str, Any], changed: Any, at: datetime) -> list[Any]: ...

    def check_heartbeats(
        self, now: datetime, assets: Any, last_seen: Callable[[str], datetime | None], since: datetime
    ) -> list[Any]: ...

    def meter_windows(self, now: datetime) -> list[Any]: ...

    def model_windows(self, windows: list[Any]) -> None: ...

    def judge_meters(self, windows: list[Any]) -> list[Any]: ...

    def forget(self, asset_id: str, rule_id: str) -> None: ...

    def load_active(self, keys: Any) -> None: ...

    def drop_assets(self, asset_ids: Any) -> None: ...

    def active_keys(self) -> list[tuple[str, str]]: ...

    def meter_fields(self) -> dict[str, set[str]]: ...

    def meter_span(self) -> timedelta: ...

    def seed_meters(self, readings: Any) -> int: ...


class Observer(Protocol):
    """A context that follows some kinds of devices message by message (traffic counts,
    vehicle positions). ``observe`` runs on the ingest's hot path, under its lock: it must
    only update memory and return at once; what it writes, it writes from its own thread
    (``start``/``stop`` bracket the pipeline's life). What it returns is a set of derived
    measurements (``schema.DERIVED``) added to the asset's latest values before the alarm
    rules see them."""

    kinds: frozenset[str]

    def observe(
        self, asset: Any, values: dict[str, Any], changed: dict[str, Any], at: datetime
    ) -> dict[str, Any] | None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


# Writes alarm ops in a session of its own; returns a callable to run after commit.
AlarmSink = Callable[[list[Any]], Callable[[], None] | None]


@dataclass(slots=True)
class Latest:
    ts_ms: int
    received_ms: int
    values: dict[str, Any]
    text: str


class IngestPipeline:
    def __init__(
        self,
        v: Vigie,
        registry: AssetRegistry,
        engine: Engine | None = None,
        alarm_sink: AlarmSink | None = None,
        active_alarms: Callable[[], list[tuple[str, str]]] | None = None,
    ) -> None:
        st = v.settings
        self.v = v
        self.registry = registry
        self.engine = engine
        self.alarm_sink = alarm_sink
        # (asset id, rule id) of the alarms active in the database, for take_over.
        self.active_alarms = active_alarms
        self.flush_interval = max(st.telemetry_flush_ms, 10) / 1000
        self.flush_max = max(st.telemetry_flush_max, 1)
        self.latest_interval = st.telemetry_latest_flush_seconds
        self.max_bytes = st.telemetry_max_payload_bytes
        self.dead_per_second = st.telemetry_dead_letters_per_second
        prefix = st.mqtt_topic_prefix.strip("/")
        self.telemetry_prefix = f"{prefix}/telemetry/"
        self.ack_prefix = f"{prefix}/ack/"
        self.lock = threading.Lock()
        self.latest: dict[str, Latest] = {}
        self.started_at = datetime.now(UTC)
        self.stats: Counter[str] = Counter()
        self.received = 0  # plain ints: counted on every message
        self.accepted = 0
        self._ts_cache: dict[str, tuple[int, datetime]] = {}
        self.dead_reasons: Counter[str] = Counter()
        # What the Prometheus counters were last told (vigie.metrics): they learn the
        # difference once per flush rather than once per message.
        self._reported: tuple[int, int, Counter[str]] = (0, 0, Counter())
        self._samples: list[writer.Sample] = []
        self._dead: list[dict[str, Any]] = []
        self._ops: list[Any] = []
        self._held: dict[tuple[str, str], Op] = {}  # folded repeats, per (asset, rule)
        self._repeat_due: dict[tuple[str, str], float] = {}  # monotonic time of the next write
        self._acks: list[tuple[str, str, str, str, int]] = []
        self._dirty: set[str] = set()
        self._dead_window = (0, 0)  # (second, count)
        self._wake = threading.Event()
        self._drained = threading.Condition(self.lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._alarm_wake = threading.Event()
        self._alarm_thread: threading.Thread | None = None
        self._alarm_lock = threading.Lock()
        # On SQLite our two writer threads take turns here rather than in its busy
        # handler, whose polling can starve the alarm thread for seconds under a heavy
        # ingest. PostgreSQL locks rows, not the database: there an alarm never waits
        # for a batch of 4,000 samples to be written.
        self._db_write: AbstractContextManager[Any] = (
            threading.Lock() if v.db.dialect == "sqlite" else contextlib.nullcontext()
        )
        self._backlog: dict[str, None] = {}  # assets whose latest state awaits its copy
        self._last_latest_flush = time.monotonic()
        self._flush_lock = threading.Lock()
        self._failures = 0
        self.listeners: list[Callable[[int], None]] = []
        self.observers: list[Observer] = []
        self._observers_of: dict[str, tuple[Observer, ...]] = {}

    def add_observer(self, observer: Observer) -> None:
        """Have ``observer`` follow the messages of its kinds (before ``start``)."""
        self.observers.append(observer)
        for kind in observer.kinds:
            self._observers_of[kind] = (*self._observers_of.get(kind, ()), observer)

    # --- lifecycle -------------------------------------------------------------

    def start(self, preload: bool = True) -> None:
        """Start the writer threads; ``preload`` loads every asset's latest state first
        (a partitioned ingest loads only its partitions', with :meth:`adopt`)."""
        if preload:
            with self.v.db.session() as s:
                rows = writer.load_latest(s)
            with self.lock:
                for asset_id, ts_ms, rcv_ms, values in rows:
                    self.latest[asset_id] = Latest(ts_ms, rcv_ms, values, "")
            self.seed_meters(list(self.registry.assets.values()))
        for observer in self.observers:
            observer.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="telemetry-writer", daemon=True)
        self._thread.start()
        # Alarms have their own thread: bulk writes never delay an alarm's event.
        self._alarm_thread = threading.Thread(target=self._run_alarms, name="telemetry-alarms", daemon=True)
        self._alarm_thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._alarm_wake.set()
        for thread in (self._thread, self._alarm_thread):
            if thread is not None:
                thread.join(timeout=30)
        self._thread = self._alarm_thread = None
        self._release_held(everything=True)
        try:
            self.flush(latest=True)
        except Exception:
            log.exception("last telemetry flush failed; %d messages not written", self.pending())
        for observer in self.observers:
            try:
                observer.stop()
            except Exception:
                log.exception("telemetry observer %r did not stop cleanly", observer)

    def adopt(self, states: list[writer.State], active: list[tuple[str, str]]) -> None:
        """Take over some assets (a partition): their latest states and active alarms,
        as the previous owner left them in the database (:func:`writer.load_state`)."""
        with self.lock:
            for asset_id, ts_ms, rcv_ms, values, text in states:
                self.latest[asset_id] = Latest(ts_ms, rcv_ms, values, text)
            if self.engine is not None:
                self.engine.load_active(active)

    def take_over(self, asset_ids: list[str]) -> None:
        """Load what a partition's previous owner left in the database, then :meth:`adopt` it."""
        with self.v.db.session() as s:
            states = writer.load_state(s, asset_ids)
        wanted = set(asset_ids)
        active = [k for k in self.active_alarms() if k[0] in wanted] if self.active_alarms else []
        self.adopt(states, active)
        self.seed_meters([a for a in map(self.registry.get, asset_ids) if a is not None])

    def seed_meters(self, assets: list[Any], now: datetime | None = None) -> int:
        """Give the consumption rules the meter readings the series already holds for
        ``assets`` (a start, or a partition taken over), so that their windows are whole at
        once instead of a full window after a restart. One query per meter field over the
        metered assets' recent samples (two windows back). The number of meters seeded."""
        if self.engine is None:
            return 0
        fields = self.engine.meter_fields()
        metered = [a for a in assets if fields.get(a.kind)]
        span = self.engine.meter_span()
        if not metered or span <= timedelta(0):
            return 0
        since = (now or datetime.now(UTC)) - 2 * span
        by_id = {a.id: a for a in metered}
        names = sorted(set().union(*(fields[a.kind] for a in metered)))
        with self.v.db.session() as s:
            rows = writer.load_readings(s, sorted(by_id), names, int(since.timestamp() * 1000))
        readings = [(by_id[a], name, writer.dt(ts_ms), value) for a, ts_ms, name, value in rows]
        readings.sort(key=lambda r: (r[0].id, r[1], r[2]))
        with self.lock:
            seeded = self.engine.seed_meters(readings)
        if seeded:
            log.info("consumption rules: %d meter(s) seeded from %d stored reading(s)", seeded, len(rows))
        return seeded

    def release(self, asset_ids: set[str]) -> None:
        """Forget some assets (a partition handed to another process): the caller has
        stopped their source and flushed with ``latest=True``, so nothing of them waits."""
        with self.lock:
            for asset_id in asset_ids:
                self.latest.pop(asset_id, None)
                self._dirty.discard(asset_id)
                self._backlog.pop(asset_id, None)
            for key in [k for k in self._repeat_due if k[0] in asset_ids]:
                del self._repeat_due[key]
            if self.engine is not None:
                self.engine.drop_assets(asset_ids)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                if self._ops:  # alarms first: they are what people wait for
                    self.flush_alarms()
                with self._flush_lock:
                    self._flush(False)
                backoff = 0.5
            except Exception:
                self.stats["flush_errors"] += 1
                log.exception("telemetry flush failed; retrying in %.1fs", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30)

    def _run_alarms(self) -> None:
        while not self._stop.is_set():
            self._alarm_wake.wait(1.0)
            self._alarm_wake.clear()
            self._release_held()
            try:
                self.flush_alarms()
            except Exception:
                log.exception("alarm writer")

    # --- hot path ----------------------------------------------------------------

    def submit_many(self, messages: list[tuple[str, bytes]]) -> None:
        """Messages from a broker, as one read of its connection gave them:
        ``{prefix}/telemetry/{asset_id}`` or ``{prefix}/ack/{asset_id}``. The lock is taken
        once for them all: a process consuming several partitions has one connection, and
        one thread, per partition, and handing the lock from thread to thread for every
        message cost more than the message itself."""
        if len(self._samples) >= MAX_PENDING:
            self._wait_for_writer()
        telemetry, ack = self.telemetry_prefix, self.ack_prefix
        now_ms = int(time.time() * 1000)
        with self.lock:
            for topic, payload in messages:
                try:
                    if topic.startswith(telemetry):
                        self._ingest(topic[len(telemetry) :], payload, topic, now_ms)
                    elif topic.startswith(ack):
                        self._ingest_ack(topic[len(ack) :], payload, topic)
                    else:
                        self.received += 1
                        self._dead_letter(topic, None, "bad_topic", "unexpected topic", payload)
                except Exception as exc:  # a case the checks missed: the message is kept, with why
                    log.exception("telemetry message on %s could not be processed", topic[:255])
                    self._dead_letter(topic, None, "error", f"could not be processed: {exc!r}", payload)

    def submit(self, topic: str, payload: bytes) -> None:
        """One message from a broker (:meth:`submit_many`)."""
        self.submit_many([(topic, payload)])

    def ingest(self, asset_id: str, payload: bytes | str | dict[str, Any], topic: str = "") -> bool:
        """Process one telemetry message; returns whether it was accepted. Never raises."""
        if len(self._samples) >= MAX_PENDING:
            self._wait_for_writer()
        with self.lock:
            return self._ingest(asset_id, payload, topic, int(time.time() * 1000))

    def _ingest(self, asset_id: str, payload: bytes | str | dict[str, Any], topic: str, now_ms: int) -> bool:
        """:meth:`ingest` (caller holds the lock)."""
        self.received += 1
        asset = self.registry.assets.get(asset_id)
        if asset is None:
            return self._dead_letter(
                topic,
                asset_id[:64] or None,
                "unknown_asset",
                f"no asset '{asset_id[:64]}' in the registry",
                payload,
            )
        text: str
        if isinstance(payload, dict):
            data = payload
            text = json.dumps(payload, separators=(",", ":"), default=str)
        else:
            if len(payload) > self.max_bytes:
                return self._dead_letter(
                    topic, asset_id, "too_large", f"payload of {len(payload)} bytes", payload
                )
            # The cheap tests inline first (0.35 µs a message, a tenth of its decoding), then the
            # checks of HTTP bodies (jsondepth.refusal) only on what could fail them: a number
            # of thousands of digits was read as an int past Python's limit (a ValueError whose
            # text says nothing of the payload) or as a float turned infinite.
            raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
            if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH or b"\\u" in raw or len(raw) > MAX_DIGITS:
                why = refusal(raw)
                if why is not None:
                    return self._dead_letter(topic, asset_id, "malformed_json", why, payload)
            try:
                text = payload.decode() if isinstance(payload, bytes) else payload
                data = _decode(text)
            except (ValueError, RecursionError) as exc:  # includes UnicodeDecodeError
                return self._dead_letter(topic, asset_id, "malformed_json", str(exc), payload)
        if type(data) is not dict:
            return self._dead_letter(topic, asset_id, "schema", "the payload is not a JSON object", payload)
        try:
            VALIDATORS[asset.kind](data)
            cached = self._ts_cache.get(data["ts"])
            if cached is None:  # devices of one batch often share their timestamp
                ts = parse_ts(data["ts"])
                cached = (int(ts.timestamp() * 1000), ts)
                if len(self._ts_cache) > 4096:
                    self._ts_cache.clear()
                self._ts_cache[data["ts"]] = cached
            ts_ms, ts = cached
        except SchemaError as exc:
            return self._dead_letter(topic, asset_id, "schema", exc.message, payload)
        except (ValueError, TypeError, OverflowError) as exc:
            # OverflowError: a valid date whose offset takes it out of years 1-9999.
            return self._dead_letter(topic, asset_id, "schema", f"ts: {exc}", payload)
        if ts_ms > now_ms + FUTURE_MS:
            return self._dead_letter(
                topic, asset_id, "schema", "ts is more than a day in the future", payload
            )
        if ts_ms < PAST_MS:
            return self._dead_letter(
                topic, asset_id, "schema", "ts is before 2000: the device's clock is not set", payload
            )
        st = self.latest.get(asset_id)
        if st is not None and ts_ms <= st.ts_ms:
            if ts_ms == st.ts_ms and text == st.text:
                self.stats["duplicates"] += 1  # QoS 1 redelivery
                return True
            if ts_ms < st.ts_ms:
                # Late message: kept in the series, but it changes neither state nor alarms.
                self.stats["out_of_order"] += 1
                self.accepted += 1
                self._samples.append((asset_id, ts_ms, text))
                return True
        changed = data.copy()
        del changed["ts"]
        if "x" in changed:
            del changed["x"]
        if st is None:
            st = self.latest[asset_id] = Latest(ts_ms, now_ms, changed.copy(), text)
        else:
            st.values.update(changed)
            st.ts_ms, st.received_ms, st.text = ts_ms, now_ms, text
        self._dirty.add(asset_id)
        self._samples.append((asset_id, ts_ms, text))
        self.accepted += 1
        observers = self._observers_of.get(asset.kind)
        if observers:
            self._observe(observers, asset, st, changed, ts)
        if self.engine is not None:
            ops = self.engine.evaluate(asset, st.values, changed, ts)
            if ops:
                self._queue_ops(ops)
        if len(self._samples) == self.flush_max:
            self._wake.set()
        return True

    def _observe(
        self, observers: tuple[Observer, ...], asset: Any, st: Latest, changed: dict[str, Any], ts: datetime
    ) -> None:
        for observer in observers:
            try:
                derived = observer.observe(asset, st.values, changed, ts)
            except Exception:  # an observer's bug must not lose the message or its alarms
                self.stats["observer_errors"] += 1
                log.exception("telemetry observer %r failed on %s", observer, asset.id)
                continue
            if derived:
                st.values.update(derived)
                changed.update(derived)

    def ingest_ack(self, asset_id: str, payload: bytes | str | dict[str, Any], topic: str = "") -> bool:
        with self.lock:
            return self._ingest_ack(asset_id, payload, topic)

    def _ingest_ack(self, asset_id: str, payload: bytes | str | dict[str, Any], topic: str) -> bool:
        """:meth:`ingest_ack` (caller holds the lock)."""
        topic = topic or self.ack_prefix + asset_id
        self.stats["acks_received"] += 1
        try:
            if isinstance(payload, dict):
                data = payload
            else:
                if len(payload) > self.max_bytes:
                    raise ValueError("payload too large")
                raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
                why = refusal(raw)
                if why is not None:
                    raise ValueError(why)
                data = _decode(payload.decode() if isinstance(payload, bytes) else payload)
            validate_ack(data)
        except SchemaError as exc:
            return self._dead_letter(topic, asset_id[:64], "bad_ack", exc.message, payload)
        except (ValueError, RecursionError) as exc:
            return self._dead_letter(topic, asset_id[:64], "bad_ack", str(exc), payload)
        self._acks.append(
            (data["id"], asset_id, data["status"], data.get("detail", ""), int(time.time() * 1000))
        )
        self._wake.set()
        return True

    def _dead_letter(self, topic: str, asset_id: str | None, reason: str, detail: str, payload: Any) -> bool:
        """Record a refused message (caller holds the lock). Always returns False."""
        topic = topic or self.telemetry_prefix + (asset_id or "")
        self.stats["dead_letters"] += 1
        self.dead_reasons[reason] += 1
        second = int(time.monotonic())
        window, n = self._dead_window
        n = n + 1 if window == second else 1
        self._dead_window = (second, n)
        if n > self.dead_per_second:
            self.stats["dead_letters_not_stored"] += 1
            return False
        if isinstance(payload, bytes):
            shown = payload[: DEAD_PAYLOAD_CHARS * 4].decode("utf-8", "replace")
        elif isinstance(payload, str):
            shown = payload
        else:
            shown = json.dumps(payload, default=str)
        self._dead.append(
            {
                "received_at": datetime.now(UTC),
                "topic": writer.clean_text(topic[:255]),
                "asset_id": writer.clean_text(asset_id) if asset_id else None,
                "reason": reason,
                "detail": writer.clean_text(detail[:1000]),
                "payload": writer.clean_text(shown[:DEAD_PAYLOAD_CHARS]),
            }
        )
        return False

    def _wait_for_writer(self) -> None:
        with self._drained:
            self._wake.set()
            if not self._drained.wait_for(lambda: len(self._samples) < MAX_PENDING, timeout=10):
                self.stats["slowed_down"] += 1

    # --- queries on the in-memory state -------------------------------------------

    def latest_values(self, asset_id: str) -> tuple[datetime, datetime, dict[str, Any]] | None:
        with self.lock:
            st = self.latest.get(asset_id)
            if st is None:
                return None
            return writer.dt(st.ts_ms), writer.dt(st.received_ms), dict(st.values)

    def latest_snapshot(self) -> dict[str, tuple[int, dict[str, Any]]]:
        """Every asset that reported: asset id -> (received_ms, values), for readers of
        the whole fleet at once (the assets' live state on the map).

        ``received_ms`` is when its latest message arrived (epoch milliseconds) and
        ``values`` a copy of its latest values (every measurement it reported, the
        latest of each). Safe from any thread: the list of assets is copied under the
        lock (one C-level copy, a few milliseconds at 100,000 assets, so the ingest is
        hardly held up), each asset's values outside it, one asset at a time (a dict
        copy is atomic under the GIL); an asset reporting meanwhile may show its newer
        message. The result is the caller's to keep.
        """
        with self.lock:
            latest = self.latest.copy()
        return {asset_id: (st.received_ms, st.values.copy()) for asset_id, st in latest.items()}

    def last_seen(self, asset_id: str) -> datetime | None:
        st = self.latest.get(asset_id)
        return writer.dt(st.received_ms) if st is not None else None

    def check_heartbeats(
        self, now: datetime | None = None, assets: list[Any] | None = None, since: datetime | None = None
    ) -> int:
        """Raise the alarms of silent assets: every asset, or ``assets`` (a partition's)
        with ``since`` as the time from which one never heard from counts as silent."""
        if self.engine is None:
            return 0
        now = now or datetime.now(UTC)
        with self.lock:
            ops = self.engine.check_heartbeats(
                now,
                list(self.registry.assets.values()) if assets is None else assets,
                self.last_seen,
                since or self.started_at,
            )
            self._queue_ops(ops)
        return len(ops)

    def check_meters(self, now: datetime | None = None) -> int:
        """Judge the meters' windows (consumption rules); returns how many alarm changes.

        The windows are taken and judged under the lock, but modelled outside it: the
        model may read the database, and the ingest must not wait for it.
        """
        if self.engine is None:
            return 0
        now = now or datetime.now(UTC)
        with self.lock:
            windows = self.engine.meter_windows(now)
        if not windows:
            return 0
        self.engine.model_windows(windows)
        with self.lock:
            ops = self.engine.judge_meters(windows)
            self._queue_ops(ops)
        return len(ops)

    def reconcile_alarms(self) -> int:
        """Forget the alarms the engine holds active that the database no longer does
        (cleared by a person through another process, where ``forget_alarm`` could not
        reach this engine): a persisting condition then raises a new alarm, as the rules
        say. Alarms still waiting to be written are kept. Returns how many were forgotten."""
        if self.engine is None or self.active_alarms is None:
            return 0
        in_db = set(self.active_alarms())
        with self.lock:
            waiting = {op.key for op in self._ops} | set(self._held)
            stale = [k for k in self.engine.active_keys() if k not in in_db and k not in waiting]
            for asset_id, rule_id in stale:
                self.engine.forget(asset_id, rule_id)
                self._repeat_due.pop((asset_id, rule_id), None)
        return len(stale)

    def forget_alarm(self, asset_id: str, rule_id: str) -> None:
        if self.engine is not None:
            with self.lock:
                self.engine.forget(asset_id, rule_id)
                self._held.pop((asset_id, rule_id), None)
                self._repeat_due.pop((asset_id, rule_id), None)

    def _queue_ops(self, ops: list[Op]) -> None:
        """Queue the engine's decisions for the alarm writer (caller holds ``self.lock``).

        A failing device repeats its fault with every message: writing each repeat
        (count, last seen, an ``alarm.updated`` event) kept the alarm writer busy at
        20,000 messages/s, and new alarms queued behind the repeats. Repeats of one
        alarm are folded into one write per ``REPEAT_WRITE_SECONDS``; a clear takes
        the held repeats with it, so counts stay exact.
        """
        now = time.monotonic()
        wake = False
        for op in ops:
            key = op.key
            if op.kind == "repeat":
                if now < self._repeat_due.get(key, 0.0):
                    held = self._held.get(key)
                    if held is not None:
                        op.count += held.count
                    self._held[key] = op
                    continue
                self._repeat_due[key] = now + REPEAT_WRITE_SECONDS
            else:
                held = self._held.pop(key, None)
                if held is not None:
                    self._ops.append(held)
                if op.kind == "raise":
                    self._repeat_due[key] = now + REPEAT_WRITE_SECONDS
                else:
                    self._repeat_due.pop(key, None)
            self._ops.append(op)
            wake = True
        if wake:
            self._alarm_wake.set()

    def _release_held(self, everything: bool = False) -> None:
        """Queue the held repeats whose time has come (all of them when stopping)."""
        if not self._held:
            return
        now = time.monotonic()
        with self.lock:
            for key in [k for k in self._held if everything or self._repeat_due.get(k, 0.0) <= now]:
                self._ops.append(self._held.pop(key))
                self._repeat_due[key] = now + REPEAT_WRITE_SECONDS

    def pending(self) -> int:
        return len(self._samples) + len(self._ops) + len(self._dead) + len(self._acks)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "received": self.received,
                "accepted": self.accepted,
                **self.stats,
                "dead_letter_reasons": dict(self.dead_reasons),
                "pending": self.pending(),
                "assets_known": len(self.registry),
                "assets_reporting": len(self.latest),
            }

    # --- writer ------------------------------------------------------------------

    def flush(self, latest: bool = False) -> int:
        """Write what is waiting; returns the number of samples written.

        ``latest=True`` forces everything out: the latest states and held alarm repeats.
        """
        if latest:
            self._release_held(everything=True)
        with self._flush_lock:
            n = self._flush(latest)
        self.flush_alarms()
        return n

    def _flush(self, force_latest: bool) -> int:
        if force_latest or time.monotonic() - self._last_latest_flush >= self.latest_interval:
            self._last_latest_flush = time.monotonic()
            with self.lock:
                self._backlog.update(dict.fromkeys(self._dirty))
                self._dirty = set()
        with self.lock:
            samples, self._samples = self._samples, []
            dead, self._dead = self._dead, []
            acks, self._acks = self._acks, []
            # The latest-state copy trickles out a thousand rows per flush.
            take = len(self._backlog) if force_latest else LATEST_PER_FLUSH
            latest_rows: list[tuple[str, int, int, dict[str, Any]]] = []
            for asset_id in list(itertools.islice(self._backlog, take)):
                del self._backlog[asset_id]
                st = self.latest[asset_id]
                latest_rows.append((asset_id, st.ts_ms, st.received_ms, dict(st.values)))
            self._drained.notify_all()
            counts = (self.received, self.accepted, Counter(self.dead_reasons))
        self._report_metrics(*counts)
        # In index order (fewer pages touched), in transactions of a few thousand rows so
        # that alarms, written in between, never wait long behind a big backlog.
        samples.sort()
        chunks: list[tuple[list[Any], list[Any], list[Any], list[Any]]] = [
            (samples[i : i + CHUNK], [], [], []) for i in range(0, len(samples), CHUNK)
        ]
        if dead or acks or latest_rows or not chunks:
            chunks.append(([], dead, acks, latest_rows))
        written = 0
        for n, chunk in enumerate(chunks):
            if not any(chunk):
                continue
            if self._ops:
                self.flush_alarms()
            try:
                self._write_chunk(*chunk)
            except Exception:
                with self.lock:  # put the rest back: a database outage loses nothing
                    for c in reversed(chunks[n:]):
                        self._samples[:0] = c[0]
                        self._dead[:0] = c[1]
                        self._acks[:0] = c[2]
                        self._dirty.update(r[0] for r in c[3])
                raise
            written += len(chunk[0])
        if any(len(c[0]) or len(c[1]) or len(c[2]) or len(c[3]) for c in chunks):
            self.stats["flushes"] += 1
        for listener in list(self.listeners):
            listener(written)
        return written

    def _report_metrics(self, received: int, accepted: int, dead: Counter[str]) -> None:
        was_received, was_accepted, was_dead = self._reported
        metrics.INGEST_RECEIVED.inc(received - was_received)
        metrics.INGEST_ACCEPTED.inc(accepted - was_accepted)
        for reason, n in (dead - was_dead).items():
            metrics.DEAD_LETTERS.labels(reason).inc(n)
        self._reported = (received, accepted, dead)

    def _write_chunk(self, samples: list[Any], dead: list[Any], acks: list[Any], latest: list[Any]) -> None:
        try:
            with self._db_write:
                acked = writer.write_batch(self.v.db, samples, dead, acks, latest)
            self._failures = 0
        except Exception:
            self._failures += 1
            if self._failures < 3 or not writer.database_answers(self.v.db):
                raise
            # The database answers but refuses this batch: keep what it accepts.
            log.exception("telemetry batch refused three times; writing it row by row")
            with self._db_write:
                acked, dropped = writer.salvage(self.v.db, samples, dead, acks, latest)
            self.stats["unstorable"] += dropped
        self.stats["acks_applied"] += acked
        self.stats["samples_written"] += len(samples)

    def flush_alarms(self) -> int:
        """Write the engine's decisions (own transaction), then their follow-ups."""
        with self._alarm_lock:
            with self.lock:
                ops, self._ops = self._ops, []
            if not ops or self.alarm_sink is None:
                return 0
            after = None
            for attempt in range(3):
                try:
                    with self._db_write:
                        after = self.alarm_sink(ops)
                    break
                except Exception:
                    self.stats["alarm_errors"] += 1
                    log.exception("could not write %d alarm changes (attempt %d)", len(ops), attempt + 1)
                    time.sleep(0.2 * (attempt + 1))
            if after is not None:
                try:
                    after()
                except Exception:
                    log.exception("alarm follow-up (linked reports) failed")
            return len(ops)
