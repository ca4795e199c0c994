"""gzip of a map layer from reusable chunks: the next version recompresses only what changed.

A layer's body is ``HEAD`` + its encoded features joined by commas + ``TAIL``.
Its gzip member is made of runs of about 512 features deflated separately and
joined (each ends with a sync flush: byte-aligned, not last). Where a run ends
depends on the features themselves (a hash), not on their positions, so that
adding, changing or removing a feature changes only the run that holds it: the
next version of the layer reuses the other runs' deflated bytes
(:class:`vigie.assets.geojson.Layer` keeps them).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

GZIP_LEVEL = 5
GZIP_MASK = 511  # a gzip chunk ends after a feature whose hash & GZIP_MASK == 0: ~512 features
HEAD = b'{"type":"FeatureCollection","features":['
TAIL = b"]}"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, OS unknown
_FINAL_BLOCK = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15).flush()  # empty, last block

# (first run of the layer?, its features) -> their raw deflate piece
ChunkCache = dict[tuple[bool, tuple[bytes, ...]], bytes]


def _deflate(data: bytes) -> bytes:
    """A raw deflate piece that can be followed by another (sync flush: byte-aligned, not last)."""
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def _chunks(parts: list[bytes]) -> Iterator[tuple[bool, tuple[bytes, ...]]]:
    """Runs of features whose ends depend on the features only, so that a change stays local."""
    start = 0
    for i, part in enumerate(parts):
        if hash(part) & GZIP_MASK == 0:  # bytes cache their hash: cheap on stored features
            yield start == 0, tuple(parts[start : i + 1])
            start = i + 1
    if start < len(parts):
        yield start == 0, tuple(parts[start:])


def gzip_layer(body: bytes, parts: list[bytes], reuse: ChunkCache | None) -> tuple[bytes, ChunkCache]:
    """gzip of ``body`` (HEAD + the parts joined by commas + TAIL), reusing deflated chunks.

    Returns the gzip member and this layer's chunks, for the next version to reuse.
    """
    old = reuse or {}
    chunks: ChunkCache = {}
    out = [_GZIP_HEADER, _deflate(HEAD)]
    for key in _chunks(parts):
        z = chunks.get(key) or old.get(key)
        if z is None:
            first, run = key
            z = _deflate((b"" if first else b",") + b",".join(run))
        chunks[key] = z
        out.append(z)
    out += [_deflate(TAIL), _FINAL_BLOCK, struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)]
    return b"".join(out), chunks


__all__ = ["GZIP_LEVEL", "HEAD", "TAIL", "ChunkCache", "gzip_layer"]
