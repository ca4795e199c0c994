"""Map layers: assets as a GeoJSON FeatureCollection, fast enough for 100,000 points.

Incremental builds. Each asset's feature is encoded once and kept in memory
(:class:`FeatureStore`, one per list of extra attributes) under the key
``id␟updated_at``. Building a layer costs one statement that returns the keys
of the matching assets as a single string joined by the database
(``group_concat`` / ``string_agg``): a known key reuses its stored feature;
unknown keys (assets added or changed since) are encoded by the database
(``json_quote`` / ``to_json`` and concatenation: no Python object per asset)
and stored; deleted assets, and assets that no longer match the filters, are
simply absent from the keys. After a write to one asset, the next build
re-encodes that asset, not the whole fleet. Other databases encode in Python
(:func:`encode_feature`).

Built layers are immutable and cached per (filters, attributes) and data
version (``count + max(updated_at)``, see :func:`vigie.assets.actions.data_version`):
a cached layer costs that one small query, and concurrent requests for a
layer being built wait for that one build. The gzip form is made on the first
request that accepts it, from chunks of about 512 features deflated
separately (:mod:`vigie.assets.gzipchunks`): the next version of the layer
reuses the chunks whose features did not change.

Live state (``state=true``) is not in these layers: :mod:`vigie.assets.states`
splices it into a copy of them, so that telemetry never invalidates them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as quote  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import Text, case, cast, func, literal, select
from sqlalchemy.orm import Session

from vigie.assets.actions import AssetFilter, apply_filter, data_version
from vigie.assets.gzipchunks import GZIP_LEVEL, HEAD, TAIL, ChunkCache, gzip_layer
from vigie.assets.storage import AssetRow
from vigie.assets.types import ASSET_TYPES, AttrType
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie

MAX_ENTRIES = 16
MAX_BYTES = 256 * 1024 * 1024
MAX_LAYER_ATTRIBUTES = 5
MAX_STORES = 4  # feature stores (attribute lists) kept; the map uses the plain one
FETCH_CHUNK = 1000  # ids per "id IN (…)" when re-encoding changed assets

# Keys: "id␟updated_at"; the database joins them with ␞. Ids are checked
# (letters, digits, "_.-"); a key list that does not split right is re-read row by row.
KEY_SEP = "\x1f"
ROW_SEP = "\x1e"
_ID_AT = len(b'{"type":"Feature","id":"')  # where the id starts in an encoded feature

try:  # pragma: no cover - optional speed-up
    import orjson as _orjson

    def _json(value: Any) -> str:
        return _orjson.dumps(value).decode()

except ImportError:  # pragma: no cover

    def _json(value: Any) -> str:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


# --- layers and their cache ------------------------------------------------------------------


@dataclass
class Layer:
    body: bytes
    etag: str
    version: str
    features: int
    parts: list[bytes] = field(default_factory=list, repr=False)  # the encoded features
    chunked: bool = False  # body is HEAD + the parts joined + TAIL: gzip by chunks
    _reuse: ChunkCache | None = field(default=None, repr=False)  # the previous version's chunks
    _chunks: ChunkCache | None = field(default=None, repr=False)
    _gzip: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gzipped(self) -> bytes:
        with self._lock:
            if self._gzip is None:
                if self.chunked:
                    self._gzip, self._chunks = gzip_layer(self.body, self.parts, self._reuse)
                else:  # a layer made from a body only
                    self._gzip = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
                self._reuse = None
            return self._gzip

    def chunks_for_next(self) -> ChunkCache | None:
        """Deflated chunks the next version of this layer may reuse."""
        return self._chunks if self._chunks is not None else self._reuse


def _id_of(key: str) -> str:
    return key.rpartition(KEY_SEP)[0]  # the last separator: an updated_at never holds one


class FeatureStore:
    """Encoded features (UTF-8 JSON) of one attribute list, by key ``id␟updated_at``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.features: dict[str, bytes] = {}
        self.key_of: dict[str, str] = {}  # id -> its current key

    def __len__(self) -> int:
        return len(self.features)

    def put(self, id_: str, key: str, feature: bytes) -> None:
        with self.lock:
            old = self.key_of.get(id_)
            if old is not None and old != key:
                self.features.pop(old, None)  # the asset changed: its old feature is garbage
            self.key_of[id_] = key
            self.features[key] = feature

    def keep_only(self, keys: list[str]) -> None:
        """Forget the assets not in ``keys`` (all located assets): deleted, or now without a place."""
        with self.lock:
            features = {k: f for k in keys if (f := self.features.get(k)) is not None}
            self.features = features
            self.key_of = {_id_of(k): k for k in features}


class LayerCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple[Any, ...], Layer] = OrderedDict()
        self.building: dict[tuple[Any, ...], threading.Lock] = {}
        self.stores: OrderedDict[tuple[str, ...], FeatureStore] = OrderedDict()

    def get(self, key: tuple[Any, ...], version: str) -> Layer | None:
        with self.lock:
            layer = self.entries.get(key)
            if layer is None or layer.version != version:
                return None
            self.entries.move_to_end(key)
            return layer

    def previous(self, key: tuple[Any, ...]) -> Layer | None:
        """The cached layer of ``key`` whatever its version (to reuse its gzip chunks)."""
        with self.lock:
            return self.entries.get(key)

    def put(self, key: tuple[Any, ...], layer: Layer) -> None:
        with self.lock:
            self.entries[key] = layer
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES or (
                len(self.entries) > 1 and sum(len(x.body) for x in self.entries.values()) > MAX_BYTES
            ):
                self.entries.popitem(last=False)

    def builder(self, key: tuple[Any, ...]) -> threading.Lock:
        """One lock per layer: concurrent misses wait for one build instead of all building."""
        with self.lock:
            lock = self.building.get(key)
            if lock is None:
                if len(self.building) > 4 * MAX_ENTRIES:
                    self.building.clear()
                lock = self.building[key] = threading.Lock()
            return lock

    def store(self, names: tuple[str, ...]) -> FeatureStore:
        with self.lock:
            store = self.stores.get(names)
            if store is None:
                store = self.stores[names] = FeatureStore()
                while len(self.stores) > MAX_STORES:
                    self.stores.popitem(last=False)
            self.stores.move_to_end(names)
            return store

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.stores.clear()


def cache_of(v: Vigie) -> LayerCache:
    cache = v.caches.asset_layers
    if cache is None:
        cache = v.caches.asset_layers = LayerCache()
    return cache


# --- encoding ----------------------------------------------------------------------------------


def check_layer_attributes(names: list[str], types: list[str]) -> list[str]:
    """Typed scalar attributes of the requested types (of any type when none is asked)."""
    if len(names) > MAX_LAYER_ATTRIBUTES:
        raise ValidationFailed(f"at most {MAX_LAYER_ATTRIBUTES} attributes in a layer", field="attributes")
    candidates = [ASSET_TYPES[t] for t in types] if types else list(ASSET_TYPES.values())
    for name in names:
        specs = [t.attributes[name] for t in candidates if name in t.attributes]
        if not specs:
            raise ValidationFailed(
                f"'{name}' is not an attribute of {', '.join(t.code for t in candidates)}",
                field="attributes",
            )
        if any(s.type is AttrType.LIST for s in specs):
            raise ValidationFailed(f"'{name}' is a list: not available on map layers", field="attributes")
    return names


def _attribute_column(name: str, types: list[str]) -> Any:
    candidates = [ASSET_TYPES[t] for t in types] if types else list(ASSET_TYPES.values())
    spec = next(t.attributes[name] for t in candidates if name in t.attributes)
    element = AssetRow.attributes[name]
    if spec.type in (AttrType.NUMBER, AttrType.INTEGER):
        return element.as_float()
    if spec.type is AttrType.BOOLEAN:
        return element.as_boolean()
    return element.as_string()


def encode_feature(row: Any, attribute_names: list[str], quoted: dict[str, str] | None = None) -> str:
    """One Feature of an (id, type, status, name, lat, long, *attributes) row."""
    quoted = {} if quoted is None else quoted  # JSON of the few types and statuses, once
    id_, type_, status, name, lat, long = row[:6]
    qt = quoted.get(type_)
    if qt is None:
        qt = quoted[type_] = quote(type_)
    qs = quoted.get(status)
    if qs is None:
        qs = quoted[status] = quote(status)
    qid = quote(id_)
    extra = f',"name":{quote(name)}' if name else ""
    for attr, value in zip(attribute_names, row[6:], strict=False):
        if value is not None:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            extra += f",{quote(attr)}:{_json(value)}"
    return (
        f'{{"type":"Feature","id":{qid},"geometry":{{"type":"Point","coordinates":'
        f'[{long!r},{lat!r}]}},"properties":{{"id":{qid},"type":{qt},"status":{qs}{extra}}}}}'
    )


def feature_id(part: bytes) -> bytes:
    """The id of an encoded feature, as UTF-8 (it comes first, right after a fixed prefix)."""
    raw = part[_ID_AT : part.index(b'"', _ID_AT)]
    if b"\\" in raw:  # an escaped character (never in checked ids): let a JSON parser read it
        return str(json.loads(part)["id"]).encode()
    return raw


def encode(rows: Any, attribute_names: list[str]) -> tuple[bytes, int]:
    """The FeatureCollection of (id, type, status, name, lat, long, *attributes) rows."""
    quoted: dict[str, str] = {}
    parts = [encode_feature(row, attribute_names, quoted) for row in rows]
    body = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
    return body.encode(), len(parts)


def _located(q: Any, f: AssetFilter) -> Any:
    return apply_filter(q, f).where(AssetRow.lat.is_not(None), AssetRow.long.is_not(None))


def _python_columns(f: AssetFilter, names: list[str]) -> list[Any]:
    R = AssetRow
    return [R.id, R.type, R.status, R.name, R.lat, R.long] + [_attribute_column(n, f.types) for n in names]


def _encode_in_python(s: Session, f: AssetFilter, names: list[str]) -> tuple[bytes, int]:
    rows = s.execute(_located(select(*_python_columns(f, names)), f).order_by(AssetRow.id)).all()
    return encode(rows, names)


def _postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _in_database(s: Session) -> bool:
    return s.get_bind().dialect.name in ("sqlite", "postgresql")


def _text(expr: Any) -> Any:
    return cast(expr, Text)


def _lit(value: str) -> Any:
    return literal(value, Text)


def _join(s: Session, expr: Any, sep: str) -> Any:
    return func.string_agg(expr, _lit(sep)) if _postgres(s) else func.group_concat(expr, _lit(sep))


def _feature_sql(s: Session, names: list[str]) -> Any:
    """The JSON text of one feature, written by the database."""
    R = AssetRow
    postgres = _postgres(s)

    def jstr(expr: Any) -> Any:  # a JSON string literal of a text column
        return _text(func.to_json(expr)) if postgres else func.json_quote(expr)

    qid = jstr(R.id)
    props = _lit('"id":') + qid + _lit(',"type":') + jstr(R.type) + _lit(',"status":') + jstr(R.status)
    props = props + case((R.name != "", _lit(',"name":') + jstr(R.name)), else_=_lit(""))
    for name in names:
        # JSON text of the attribute (null when absent), with its JSON type kept.
        value = (
            _text(R.attributes.op("->")(literal(name, Text)))
            if postgres
            else R.attributes.op("->")(literal(f'$."{name}"', Text))
        )
        props = props + case((value.is_not(None), _lit(f",{quote(name)}:") + value), else_=_lit(""))
    return (
        _lit('{"type":"Feature","id":')
        + qid
        + _lit(',"geometry":{"type":"Point","coordinates":[')
        + _text(R.long)
        + _lit(",")
        + _text(R.lat)
        + _lit(']},"properties":{')
        + props
        + _lit("}}")
    )


def _encode_in_database(s: Session, f: AssetFilter, names: list[str]) -> tuple[bytes, int]:
    """One row: the features joined by the database, and their count (no store involved)."""
    row = s.execute(_located(select(_join(s, _feature_sql(s, names), ","), func.count()), f)).one()
    features, count = row[0] or "", int(row[1] or 0)
    body = '{"type":"FeatureCollection","features":[' + features + "]}"
    return body.encode(), count


# --- incremental build ---------------------------------------------------------------------------


def _key_sql() -> Any:
    R = AssetRow
    return R.id + _lit(KEY_SEP) + func.coalesce(_text(R.updated_at), _lit(""))


def _scan(s: Session, f: AssetFilter) -> list[str]:
    """Keys of the located assets matching ``f``, in one string from the database when it can."""
    key = _key_sql()
    if _in_database(s):
        joined, count = s.execute(_located(select(_join(s, key, ROW_SEP), func.count()), f)).one()
        keys = joined.split(ROW_SEP) if joined else []
        if len(keys) == int(count or 0):
            return keys
    return list(s.scalars(_located(select(key), f)))


def _fetch(
    s: Session, f: AssetFilter, names: list[str], ids: list[str] | None
) -> Iterator[tuple[str, str, bytes]]:
    """(id, key, feature) of the located assets matching ``f``, among ``ids`` when given."""
    R = AssetRow
    in_db = _in_database(s)
    columns = [R.id, _key_sql()] + ([_feature_sql(s, names)] if in_db else _python_columns(f, names))
    quoted: dict[str, str] = {}
    batches: list[list[str] | None] = (
        [None] if ids is None else [ids[i : i + FETCH_CHUNK] for i in range(0, len(ids), FETCH_CHUNK)]
    )
    for batch in batches:
        q = _located(select(*columns), f)
        if batch is not None:
            q = q.where(R.id.in_(batch))
        for row in s.execute(q):
            feature = row[2] if in_db else encode_feature(row[2:], names, quoted)
            yield row[0], row[1], feature.encode()


def _build(
    s: Session, f: AssetFilter, names: list[str], store: FeatureStore
) -> tuple[list[str], list[bytes]]:
    """The keys and encoded features of a layer; (re-)encodes only the assets not in the store."""
    keys = _scan(s, f)
    parts = list(map(store.features.get, keys))
    if None not in parts:
        return keys, parts  # type: ignore[return-value]
    missing = [k for k, p in zip(keys, parts, strict=True) if p is None]
    # Many changes (first build, an import): one pass over the layer beats many "IN" lists.
    many = len(missing) > len(keys) // 4
    ids = None if many else [_id_of(k) for k in missing]
    fresh: dict[str, bytes] = {}
    for id_, key, encoded in _fetch(s, f, names, ids):
        store.put(id_, key, encoded)
        fresh[id_] = encoded
    out: list[bytes] = []
    for k, p in zip(keys, parts, strict=True):
        # Fetched by id: as read by the fetch (if it changed again meanwhile, the newer
        # form); an asset deleted between the scan and the fetch is left out.
        feature = p if p is not None else fresh.get(_id_of(k))
        if feature is not None:
            out.append(feature)
    return keys, out


def _whole_fleet(f: AssetFilter) -> bool:
    return f.key() == AssetFilter().key()


def _tidy(s: Session, f: AssetFilter, store: FeatureStore, keys: list[str], assets: int) -> None:
    """Drop the features of deleted assets: after a whole-fleet build, or when they pile up."""
    if _whole_fleet(f) and len(store) > len(keys):
        store.keep_only(keys)
    elif len(store) > assets:  # more features than assets: some belong to deleted ones
        store.keep_only(_scan(s, AssetFilter()))


def _asset_count(version: str) -> int:
    """The number of assets in a data version ("count:latest update:bumps")."""
    head = version.split(":", 1)[0]
    return int(head) if head.isdigit() else 2**62


def digest(*values: Any) -> str:
    """A short hash of some values (ETags, versions)."""
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


def _body(parts: list[bytes]) -> bytes:
    """HEAD + the features joined by commas + TAIL, in one copy of 18 MB rather than two."""
    if not parts:
        return HEAD + TAIL
    items = parts.copy()
    items[0] = HEAD + items[0]
    items[-1] = items[-1] + TAIL
    return b",".join(items)


def new_layer(key: tuple[Any, ...], version: str, parts: list[bytes], previous: Layer | None) -> Layer:
    """A layer of encoded features, whose gzip reuses the chunks of ``previous`` (same key)."""
    body = _body(parts)
    reuse = previous.chunks_for_next() if previous is not None else None
    return Layer(body, f'W/"{digest(key, version)}"', version, len(parts), parts, True, reuse)


def _base_layer(v: Vigie, f: AssetFilter, names: list[str]) -> Layer:
    cache = cache_of(v)
    key = (f.key(), tuple(names))
    version = data_version(v)
    layer = cache.get(key, version)
    if layer is not None:
        return layer
    with cache.builder(key):
        layer = cache.get(key, version)  # built meanwhile by another request
        if layer is not None:
            return layer
        store = cache.store(tuple(names))
        with v.db.session() as s:
            keys, parts = _build(s, f, names, store)
            _tidy(s, f, store, keys, _asset_count(version))
        layer = new_layer(key, version, parts, cache.previous(key))
        cache.put(key, layer)
        return layer


def geojson_layer(v: Vigie, f: AssetFilter, attributes: list[str] | None = None) -> Layer:
    """The (cached) GeoJSON of the assets matching ``f`` that have a location.

    With their live state: :func:`vigie.assets.states.state_layer`.
    """
    f.check()
    names = check_layer_attributes(list(attributes or []), f.types)
    return _base_layer(v, f, names)


__all__ = [
    "FeatureStore",
    "Layer",
    "LayerCache",
    "cache_of",
    "digest",
    "encode",
    "encode_feature",
    "feature_id",
    "geojson_layer",
    "new_layer",
]
