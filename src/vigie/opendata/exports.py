"""Exports of a published release, streamed: CSV (``;`` or ``,``, optional BOM), JSON, JSON lines,
GeoJSON, Parquet and XLSX (the app's gzip middleware compresses the text ones for clients that
accept it).

Each writer takes Arrow record batches (from DuckDB, see ``explore_engine``)
and yields bytes as it goes, so memory stays flat whatever the release's size
(XLSX excepted: the format is a zip written at the end, through a temporary
file, and capped at a sheet's 1,048,575 rows). The writers that need pyarrow's (CSV,
Parquet) or xlsxwriter import them when they run, as a request's reader does DuckDB.
"""

from __future__ import annotations

import base64
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from vigie import csvsafe
from vigie.errors import BadRequest

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/jsonl",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DELIMITERS = {";": ";", ",": ",", "\t": "\t", "|": "|"}
XLSX_MAX_ROWS = 1_048_575
BOM = "\ufeff".encode()


def plain(value: Any, tz: ZoneInfo) -> Any:
    """A value as JSON writes it: moments in the asked time zone, ISO 8601."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return aware.astimezone(tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def json_default(value: Any) -> Any:
    """What orjson cannot write by itself, as JSON: every type a release or a lab query
    can hold has an answer (a 500 was the answer to ``SELECT 'a'::BLOB``)."""
    # DuckDB sums integers as HUGEINT, which Arrow hands over as decimals.
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")  # the column's type says binary
    return str(value)  # intervals, and whatever else Arrow hands over: its text


def rows(batch: pa.RecordBatch, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    for row in batch.to_pylist():
        yield {k: plain(val, tz) for k, val in row.items()}


def iso_times(batch: pa.RecordBatch, tz: ZoneInfo) -> pa.RecordBatch:
    """The batch with its moments written as JSON writes them (``plain``): ISO 8601 in the asked
    time zone, ``2023-09-30T11:43:00+02:00`` (pyarrow's CSV writer would write them in UTC as
    ``2023-09-30 09:43:00.000000+0000``, whatever ``timezone`` the reuser asked)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = batch.columns
    for i, f in enumerate(batch.schema):
        if not pa.types.is_timestamp(f.type):
            continue
        aware = columns[i] if f.type.tz else pc.assume_timezone(columns[i], "UTC")  # naive is UTC
        local = aware.cast(pa.timestamp(f.type.unit, tz=tz.key))
        whole = local.cast(pa.timestamp("s", tz=tz.key), safe=False)
        # Seconds suffice unless a moment has a fraction (then the unit's digits, as %S writes them).
        exact = pc.all(pc.equal(whole.cast(pa.timestamp(f.type.unit, tz=tz.key)), local)).as_py() is not False
        text = pc.strftime(whole if exact else local, format="%Y-%m-%dT%H:%M:%S%z")
        columns[i] = pc.replace_substring_regex(text, pattern=r"([+-]\d\d)(\d\d)$", replacement=r"\1:\2")
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def csv_chunks(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    delimiter: str = ";",
    bom: bool = True,
    tz: ZoneInfo | None = None,
) -> Iterator[bytes]:
    """CSV whose text cells cannot be taken for formulas (``vigie.csvsafe``: ``'=…``); numbers
    stay numbers; moments in ISO 8601 in ``tz`` (UTC by default), as the JSON exports write them."""
    import pyarrow.csv as pacsv

    if delimiter not in DELIMITERS:
        raise BadRequest("delimiter must be one of ; , | or a tab", field="delimiter")
    zone = tz or ZoneInfo("UTC")
    if bom:
        yield BOM
    names = [csvsafe.cell(n) for n in schema.names]  # an uploaded file's header is text too
    header = True
    for batch in batches:
        out = io.BytesIO()
        safe = csvsafe.arrow_batch(iso_times(batch, zone)).rename_columns(names)
        pacsv.write_csv(safe, out, pacsv.WriteOptions(include_header=header, delimiter=delimiter))
        header = False
        yield out.getvalue()
    if header:  # no rows: the header alone
        out = io.BytesIO()
        empty = schema.empty_table().rename_columns(names)
        pacsv.write_csv(empty, out, pacsv.WriteOptions(include_header=True, delimiter=delimiter))
        yield out.getvalue()


def json_chunks(batches: Iterable[pa.RecordBatch], tz: ZoneInfo) -> Iterator[bytes]:
    yield b"["
    first = True
    for batch in batches:
        parts = [orjson.dumps(r, default=json_default) for r in rows(batch, tz)]
        if parts:
            yield (b"" if first else b",") + b",".join(parts)
            first = False
    yield b"]"


def jsonl_chunks(batches: Iterable[pa.RecordBatch], tz: ZoneInfo) -> Iterator[bytes]:
    for batch in batches:
        parts = [orjson.dumps(r, default=json_default) for r in rows(batch, tz)]
        if parts:
            yield b"\n".join(parts) + b"\n"


def geojson_chunks(batches: Iterable[pa.RecordBatch], tz: ZoneInfo, lat: str, long: str) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for batch in batches:
        parts = []
        for r in rows(batch, tz):
            y, x = r.pop(lat, None), r.pop(long, None)
            geometry = {"type": "Point", "coordinates": [x, y]} if x is not None and y is not None else None
            feature = {"type": "Feature", "geometry": geometry, "properties": r}
            parts.append(orjson.dumps(feature, default=json_default))
        if parts:
            yield (b"" if first else b",") + b",".join(parts)
            first = False
    yield b"]}"


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are handed out as they come (Parquet's writer needs tell())."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        b = bytes(data)
        self.chunks.append(b)
        self.position += len(b)
        return len(b)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def parquet_chunks(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[bytes]:
    import pyarrow.parquet as pq

    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            if chunk := sink.take():
                yield chunk
    if chunk := sink.take():
        yield chunk


def xlsx_chunks(batches: Iterable[pa.RecordBatch], schema: pa.Schema, tz: ZoneInfo) -> Iterator[bytes]:
    import xlsxwriter

    with tempfile.TemporaryFile() as tmp:
        # Text is written as text: never a formula, a link or a number (see vigie.csvsafe).
        options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        book = xlsxwriter.Workbook(tmp, options)
        sheet = book.add_worksheet("data")
        sheet.write_row(0, 0, schema.names)
        n = 0
        for batch in batches:
            for r in rows(batch, tz):
                n += 1
                if n > XLSX_MAX_ROWS:
                    raise BadRequest("more rows than a spreadsheet holds: filter, or export CSV or Parquet")
                sheet.write_row(n, 0, list(r.values()))
        book.close()
        tmp.seek(0)
        while chunk := tmp.read(1 << 16):
            yield chunk


__all__ = [
    "FORMATS",
    "json_default",
    "csv_chunks",
    "geojson_chunks",
    "iso_times",
    "json_chunks",
    "jsonl_chunks",
    "parquet_chunks",
    "xlsx_chunks",
]
