"""Map layers: assets as a GeoJSON FeatureCollection, fast enough for 100,000 points.

On SQLite and PostgreSQL the database itself writes the features and joins
them (``group_concat`` / ``string_agg``): no Python object per asset, so a
100,000-asset layer is built in about the time the database needs to read the
rows. Other databases use :func:`encode`, one f-string per feature. The
encoded body is cached per (filters, data version) in the process: the next
request costs one ``count + max(updated_at)`` query. The gzip form is made once
per cached body, on the first request that accepts it.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as quote  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import Text, case, cast, func, literal, select
from sqlalchemy.orm import Session

from vigie.assets.actions import AssetFilter, apply_filter, data_version
from vigie.assets.domain import ASSET_TYPES, AttrType
from vigie.assets.storage import AssetRow
from vigie.errors import ValidationFailed
from vigie.runtime import Vigie

MAX_ENTRIES = 16
MAX_BYTES = 256 * 1024 * 1024
MAX_LAYER_ATTRIBUTES = 5
_EXTRA_KEY = "assets.geojson_cache"

try:  # pragma: no cover - optional speed-up
    import orjson as _orjson

    def _json(value: Any) -> str:
        return _orjson.dumps(value).decode()

except ImportError:  # pragma: no cover
    import json as _std_json

    def _json(value: Any) -> str:
        return _std_json.dumps(value, ensure_ascii=True, separators=(",", ":"))


@dataclass
class Layer:
    body: bytes
    etag: str
    version: str
    features: int
    _gzip: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gzipped(self) -> bytes:
        with self._lock:
            if self._gzip is None:
                self._gzip = gzip.compress(self.body, compresslevel=5, mtime=0)
            return self._gzip


class LayerCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple[Any, ...], Layer] = OrderedDict()
        self.building: dict[tuple[Any, ...], threading.Lock] = {}

    def get(self, key: tuple[Any, ...], version: str) -> Layer | None:
        with self.lock:
            layer = self.entries.get(key)
            if layer is None or layer.version != version:
                return None
            self.entries.move_to_end(key)
            return layer

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

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def cache_of(v: Vigie) -> LayerCache:
    cache = v.extra.get(_EXTRA_KEY)
    if not isinstance(cache, LayerCache):
        cache = LayerCache()
        v.extra[_EXTRA_KEY] = cache
    return cache


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


def encode(rows: Any, attribute_names: list[str]) -> tuple[bytes, int]:
    """The FeatureCollection of (id, type, status, name, lat, long, *attributes) rows."""
    parts: list[str] = []
    append = parts.append
    quoted: dict[str, str] = {}
    for row in rows:
        id_, type_, status, name, lat, long = row[:6]
        qt = quoted.get(type_)
        if qt is None:
            qt = quoted[type_] = quote(type_)
        qs = quoted.get(status)
        if qs is None:
            qs = quoted[status] = quote(status)
        qid = quote(id_)
        extra = f',"name":{quote(name)}' if name else ""
        if attribute_names:
            for attr, value in zip(attribute_names, row[6:], strict=False):
                if value is not None:
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    extra += f",{quote(attr)}:{_json(value)}"
        append(
            f'{{"type":"Feature","id":{qid},"geometry":{{"type":"Point","coordinates":'
            f'[{long!r},{lat!r}]}},"properties":{{"id":{qid},"type":{qt},"status":{qs}{extra}}}}}'
        )
    body = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
    return body.encode(), len(parts)


def _located(q: Any, f: AssetFilter) -> Any:
    return apply_filter(q, f).where(AssetRow.lat.is_not(None), AssetRow.long.is_not(None))


def _encode_in_python(s: Session, f: AssetFilter, names: list[str]) -> tuple[bytes, int]:
    R = AssetRow
    columns: list[Any] = [R.id, R.type, R.status, R.name, R.lat, R.long]
    columns += [_attribute_column(n, f.types) for n in names]
    rows = s.execute(_located(select(*columns), f).order_by(R.id)).all()
    return encode(rows, names)


def _encode_in_database(s: Session, f: AssetFilter, names: list[str]) -> tuple[bytes, int]:
    """One row: the features joined by the database, and their count."""
    R = AssetRow
    postgres = s.get_bind().dialect.name == "postgresql"

    def text(expr: Any) -> Any:
        return cast(expr, Text)

    def jstr(expr: Any) -> Any:  # a JSON string literal of a text column
        return text(func.to_json(expr)) if postgres else func.json_quote(expr)

    def lit(value: str) -> Any:
        return literal(value, Text)

    qid = jstr(R.id)
    props = lit('"id":') + qid + lit(',"type":') + jstr(R.type) + lit(',"status":') + jstr(R.status)
    props = props + case((R.name != "", lit(',"name":') + jstr(R.name)), else_=lit(""))
    for name in names:
        # JSON text of the attribute (null when absent), with its JSON type kept.
        value = (
            text(R.attributes.op("->")(literal(name, Text)))
            if postgres
            else R.attributes.op("->")(literal(f'$."{name}"', Text))
        )
        props = props + case((value.is_not(None), lit(f",{quote(name)}:") + value), else_=lit(""))
    feature = (
        lit('{"type":"Feature","id":')
        + qid
        + lit(',"geometry":{"type":"Point","coordinates":[')
        + text(R.long)
        + lit(",")
        + text(R.lat)
        + lit(']},"properties":{')
        + props
        + lit("}}")
    )
    joined = func.string_agg(feature, lit(",")) if postgres else func.group_concat(feature, lit(","))
    row = s.execute(_located(select(joined, func.count()), f)).one()
    features, count = row[0] or "", int(row[1] or 0)
    body = '{"type":"FeatureCollection","features":[' + features + "]}"
    return body.encode(), count


def geojson_layer(v: Vigie, f: AssetFilter, attributes: list[str] | None = None) -> Layer:
    """The (cached) GeoJSON of the assets matching ``f`` that have a location."""
    f.check()
    names = check_layer_attributes(list(attributes or []), f.types)
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
        with v.db.session() as s:
            if v.db.dialect in ("sqlite", "postgresql"):
                body, count = _encode_in_database(s, f, names)
            else:  # pragma: no cover - other databases
                body, count = _encode_in_python(s, f, names)
        digest = hashlib.blake2b(repr((key, version)).encode(), digest_size=12).hexdigest()
        layer = Layer(body=body, etag=f'W/"{digest}"', version=version, features=count)
        cache.put(key, layer)
        return layer


__all__ = ["Layer", "LayerCache", "cache_of", "encode", "geojson_layer"]
