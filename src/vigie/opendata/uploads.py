"""Files a city uploads (CSV, GeoJSON) as a dataset's source.

The upload is kept as it came under ``<data_dir>/opendata/uploads/<dataset>/``
(the newest one is what the next release reads); its rows are parsed with the
dataset's declared columns, and any value that does not fit is refused with
its line (CSV) or feature number (GeoJSON), before the upload is kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv

from vigie.errors import ValidationFailed
from vigie.opendata.domain import Column, ColumnKind
from vigie.opendata.sources import ARROW_TYPES, Source, register_source, schema_of

if TYPE_CHECKING:
    from vigie.opendata.domain import Dataset
    from vigie.runtime import Vigie

FORMATS = ("csv", "geojson")


def uploads_dir(v: Vigie, dataset_id: str) -> Path:
    return v.settings.data_dir / "opendata" / "uploads" / dataset_id


def parse_upload(content: bytes, fmt: str, columns: tuple[Column, ...]) -> pa.Table:
    if fmt == "csv":
        return _parse_csv(content, columns)
    if fmt == "geojson":
        return _parse_geojson(content, columns)
    raise ValidationFailed(f"format must be one of {', '.join(FORMATS)}", field="format")


def store_upload(v: Vigie, dataset_id: str, content: bytes, fmt: str) -> Path:
    folder = uploads_dir(v, dataset_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = folder / f"{digest}.{fmt}"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
    (folder / "current").write_text(path.name, encoding="utf-8")
    return path


def current_upload(v: Vigie, dataset_id: str) -> Path | None:
    marker = uploads_dir(v, dataset_id) / "current"
    if not marker.is_file():
        return None
    path = marker.parent / marker.read_text(encoding="utf-8").strip()
    return path if path.is_file() else None


def build_upload(v: Vigie, dataset: Dataset) -> pa.Table:
    path = current_upload(v, dataset.id)
    if path is None:
        raise ValidationFailed(f"dataset {dataset.id!r} has no uploaded file yet", field="file")
    return parse_upload(path.read_bytes(), path.suffix.lstrip("."), dataset.columns)


def _parse_csv(content: bytes, columns: tuple[Column, ...]) -> pa.Table:
    text_start = content[:4096].decode("utf-8-sig", errors="replace")
    first = text_start.splitlines()[0] if text_start else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    names = [c.name for c in columns]
    missing = [n for n in names if n not in header]
    if missing:
        raise ValidationFailed(
            f"the file has no column(s) {', '.join(missing)} (header: {', '.join(header)})"
        )
    extra = [h for h in header if h not in names]
    if extra:
        raise ValidationFailed(f"column(s) not declared in the dataset: {', '.join(extra)}")
    types = {c.name: _csv_type(c) for c in columns}
    try:
        table = pacsv.read_csv(
            io.BytesIO(content),
            read_options=pacsv.ReadOptions(encoding="utf-8"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                timestamp_parsers=[pacsv.ISO8601, "%d/%m/%Y %H:%M", "%d/%m/%Y"],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        # pyarrow numbers the column that did not parse: name it.
        detail = re.sub(
            r"CSV column #(\d+)",
            lambda m: f"column {header[int(m.group(1))]!r}" if int(m.group(1)) < len(header) else m.group(0),
            str(exc),
        )
        raise ValidationFailed(
            f"the CSV file does not match the declared columns: {detail}", field="file"
        ) from None
    table = table.select(names)
    return _conform(table, columns)


def _csv_type(c: Column) -> pa.DataType:
    if c.type == "timestamp":
        return pa.timestamp("us")  # naive in the file: read as given, made UTC by _conform
    return ARROW_TYPES[c.type]


def _conform(table: pa.Table, columns: tuple[Column, ...]) -> pa.Table:
    arrays = []
    for c in columns:
        col = table[c.name]
        target = ARROW_TYPES[c.type]
        if c.type == "timestamp" and pa.types.is_string(col.type):
            # GeoJSON properties are text: ISO 8601 with an offset, or naive (then UTC, as in CSV).
            try:
                col = col.cast(pa.timestamp("us", tz="UTC"))
            except pa.ArrowInvalid:
                col = col.cast(pa.timestamp("us"))
        if c.type == "timestamp" and col.type.tz is None:  # type: ignore[attr-defined]
            col = col.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        arrays.append(col.cast(target))
    return pa.table(arrays, schema=schema_of(columns))


def _parse_geojson(content: bytes, columns: tuple[Column, ...]) -> pa.Table:
    try:
        doc = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"the file is not JSON: {exc}", field="file") from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise ValidationFailed("a GeoJSON upload must be a FeatureCollection", field="file")
    lat = next(
        (c.name for c in columns if c.kind in (ColumnKind.LATITUDE, ColumnKind.PERSONAL_LATITUDE)), None
    )
    lon = next(
        (c.name for c in columns if c.kind in (ColumnKind.LONGITUDE, ColumnKind.PERSONAL_LONGITUDE)), None
    )
    cols: dict[str, list[Any]] = {c.name: [] for c in columns}
    for i, feature in enumerate(doc["features"]):
        props = feature.get("properties") or {} if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise ValidationFailed(f"feature {i}: not a GeoJSON feature", field="file")
        geometry = feature.get("geometry") or {}
        point = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        if geometry.get("type") == "MultiPoint" and geometry.get("coordinates"):
            point = geometry["coordinates"][0]
        if (lat or lon) and (not isinstance(point, list) or len(point) < 2):
            raise ValidationFailed(f"feature {i}: a point geometry is needed", field="file")
        for c in columns:
            if c.name == lat:
                cols[c.name].append(float(point[1]))  # type: ignore[index]
            elif c.name == lon:
                cols[c.name].append(float(point[0]))  # type: ignore[index]
            else:
                cols[c.name].append(props.get(c.name))
    arrays = []
    for c in columns:
        try:
            arrays.append(pa.array(cols[c.name], type=ARROW_TYPES[c.type] if c.type != "timestamp" else None))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ValidationFailed(
                f"property {c.name!r} does not fit type {c.type}: {exc}", field="file"
            ) from None
    table = pa.table(arrays, names=[c.name for c in columns])
    try:
        return _conform(table, columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ValidationFailed(f"the GeoJSON properties do not match the declared columns: {exc}") from None


def register_upload_source() -> None:
    register_source(
        Source("upload", None, build_upload, "Fichier déposé (CSV, GeoJSON)", "Uploaded file (CSV, GeoJSON)")
    )
