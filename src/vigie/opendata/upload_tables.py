"""Reading an uploaded file (CSV, GeoJSON) into an Arrow table with a dataset's columns.

What the upload's text is (encoding, delimiter) is decided by
:func:`vigie.opendata.uploads.read_text_options`; here its values are typed, and a
value that does not fit is refused naming its line (CSV) or feature (GeoJSON). Kept
apart from :mod:`vigie.opendata.uploads` so that the app, which registers the upload
source at start, does not load pyarrow before a file is read.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from vigie.errors import ValidationFailed
from vigie.opendata.domain import Column, ColumnKind
from vigie.opendata.sources import arrow_type, schema_of
from vigie.opendata.uploads import FileOptions, check_format, read_text_options


def parse_upload(
    content: bytes, fmt: str, columns: tuple[Column, ...], options: FileOptions = FileOptions()
) -> pa.Table:
    fmt = check_format(fmt)
    if fmt == "csv":
        return _parse_csv(content, columns, options)
    return _parse_geojson(content, columns)


def _parse_csv(content: bytes, columns: tuple[Column, ...], options: FileOptions) -> pa.Table:
    body, _, delimiter = read_text_options(content, options)
    header = _header(body, delimiter)
    names = [c.name for c in columns]
    missing = [n for n in names if n not in header]
    if missing:
        raise ValidationFailed(
            f"line 1: the file has no column(s) {', '.join(missing)} (header: {', '.join(header)})",
            field="file",
            reason="upload.missing_columns",
            params={"columns": missing, "header": header},
        )
    extra = [h for h in header if h not in names]
    if extra:
        raise ValidationFailed(
            f"line 1: column(s) not declared in the dataset: {', '.join(extra)}",
            field="file",
            reason="upload.unknown_columns",
            params={"columns": extra},
        )
    types = {c.name: _csv_type(c) for c in columns}
    table = _read_csv(body, delimiter, types)
    if isinstance(table, str):
        raise ValidationFailed(
            f"the CSV file does not match the declared columns: {table}",
            field="file",
            reason="upload.csv_mismatch",
            params={"detail": table},
        )
    numbers = [c.name for c in columns if c.type in ("int", "float")]
    for name, (line, value) in _codes(body, delimiter, numbers).items():
        raise ValidationFailed(
            f"line {line}, column {name!r}: {value[:40]!r} is a code, not a number (a number drops "
            "its leading 0 or its +): declare the column as text",
            field="file",
            reason="upload.code_not_number",
            params={"line": line, "column": name, "value": value[:40]},
        )
    table = table.select(names)
    return _conform(table, columns)


def _header(body: bytes, delimiter: str) -> list[str]:
    # The whole first line: cut at a fixed length, a wide header's last name was cut too
    # ("c10" of "c10234"), and then reported as a column appearing twice.
    end = body.find(b"\n")
    first = body[: end if end >= 0 else len(body)].decode("utf-8", errors="replace").splitlines()
    header = next(csv.reader(first[:1], delimiter=delimiter), [])
    return [h.strip() for h in header]


def _read_csv(body: bytes, delimiter: str, types: dict[str, pa.DataType] | None) -> pa.Table | str:
    """The table, or what is wrong with the file, naming the line and the column."""
    try:
        return pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(encoding="utf-8"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types=types or {},
                strings_can_be_null=True,
                timestamp_parsers=TIMESTAMP_PARSERS,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        return _locate(body, delimiter, types or {}, str(exc))


# A value that a number would change: a leading zero (postal and INSEE codes, a phone number)
# or a + and eight digits or more (an international phone number). Read as a number, a phone
# number would also leave the text columns the personal data scanner reads.
_NOT_A_NUMBER = r"^\s*(0[0-9]|\+[0-9]{8,})"


def _codes(body: bytes, delimiter: str, names: list[str]) -> dict[str, tuple[int, str]]:
    """Of ``names``, the columns holding a value a number would change: (its line, the value)."""
    if not names:
        return {}
    raw = pacsv.read_csv(
        io.BytesIO(body),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, include_columns=names
        ),
    )
    found = {}
    for name in names:
        values = pc.fill_null(raw[name], "")
        where = pc.index(pc.match_substring_regex(values, _NOT_A_NUMBER), True).as_py()
        if where >= 0:  # lines counted as physical lines, header first (as _locate does)
            found[name] = (where + 2, values[where].as_py())
    return found


TIMESTAMP_PARSERS = [pacsv.ISO8601, "%d/%m/%Y %H:%M", "%d/%m/%Y"]
_NUMBER = {
    "int64": r"^\s*[+-]?\d+\s*$",
    "double": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*(nan|inf|-inf)\s*$",
}


def _locate(body: bytes, delimiter: str, types: dict[str, pa.DataType], message: str) -> str:
    """pyarrow names neither the line nor, in words, the column of an error: find them
    (the error path only; lines counted as physical lines, header first)."""
    header = _header(body, delimiter)
    if "Expected" in message and "columns" in message:
        lines = body.decode("utf-8", errors="replace").splitlines()
        for i, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
            if row and len(row) != len(header):
                return f"line {i} has {len(row)} fields, the header has {len(header)}"
        return message
    found = re.search(r"CSV column #(\d+)", message)
    if not found or int(found.group(1)) >= len(header):
        return message
    name = header[int(found.group(1))]
    target = types.get(name)
    raw = pacsv.read_csv(
        io.BytesIO(body),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(column_types={name: pa.string()}, include_columns=[name]),
    )[name]
    values = pc.fill_null(raw, "")
    filled = pc.not_equal(pc.utf8_trim_whitespace(values), "")
    if target is not None and pa.types.is_timestamp(target):
        ok = pa.array([False] * len(values))
        for fmt in (
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d",
            "%d/%m/%Y %H:%M",
            "%d/%m/%Y",
        ):
            parsed = pc.strptime(values, format=fmt, unit="s", error_is_null=True)
            ok = pc.or_(ok, pc.is_valid(parsed))
    elif target is not None and str(target) in _NUMBER:
        ok = pc.match_substring_regex(values, _NUMBER[str(target)])
    else:
        return f"column {name!r}: {message}"
    bad = pc.and_(filled, pc.invert(ok))
    where = pc.index(bad, True).as_py()
    if where < 0:
        return f"column {name!r}: {message}"
    kind = "a whole number" if str(target) == "int64" else "a number" if str(target) == "double" else "a date"
    return f"line {where + 2}, column {name!r}: {values[where].as_py()[:40]!r} is not {kind}"


def infer_columns(content: bytes, fmt: str, options: FileOptions = FileOptions()) -> tuple[Column, ...]:
    """The columns of a new file, with a type read from its values and a kind guessed from
    its name and type (the publisher checks both before the dataset is proposed)."""
    fmt = check_format(fmt)
    if fmt == "geojson":
        features = _features(content)
        names: list[str] = []
        for f in features[:1000]:
            for k in (f.get("properties") or {}) if isinstance(f, dict) else ():
                if k not in names:
                    names.append(str(k))
        has_point = any(
            isinstance(f, dict) and (f.get("geometry") or {}).get("type") in ("Point", "MultiPoint")
            for f in features[:1000]
        )
        props = {n: [(f.get("properties") or {}).get(n) for f in features] for n in names}
        out = []
        for n in names:
            try:
                arrow = pa.array(props[n])
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrow = pa.array([None if v is None else str(v) for v in props[n]])
            if pa.types.is_nested(arrow.type):
                continue  # an object or a list (a point repeated as a property…): not a column
            out.append(Column(n, _type_name(arrow.type), _guess_kind(n, _type_name(arrow.type))))
        if has_point and not {"latitude", "longitude"} & set(names):
            out += [
                Column("latitude", "float", ColumnKind.LATITUDE, "Latitude", "Latitude"),
                Column("longitude", "float", ColumnKind.LONGITUDE, "Longitude", "Longitude"),
            ]
        if not out:
            raise ValidationFailed(
                "the GeoJSON file has no properties and no points",
                field="file",
                reason="upload.geojson_empty",
            )
        return tuple(out)
    body, _, delimiter = read_text_options(content, options)
    header = _header(body, delimiter)
    if not header or any(not h for h in header):
        raise ValidationFailed(
            "line 1: every column needs a name in the header line",
            field="file",
            reason="upload.header_unnamed",
        )
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise ValidationFailed(
                f"line 1: column {h!r} appears twice in the header",
                field="file",
                reason="upload.header_twice",
                params={"column": h},
            )
        seen.add(h)
    table = _read_csv(body, delimiter, None)
    if isinstance(table, str):
        raise ValidationFailed(
            f"the CSV file cannot be read: {table}",
            field="file",
            reason="upload.csv_unreadable",
            params={"detail": table},
        )
    types = {n: _type_name(table[n].type) for n in header}
    codes = _codes(body, delimiter, [n for n, t in types.items() if t in ("int", "float")])
    types.update({n: "string" for n in codes})
    return tuple(Column(n, types[n], _guess_kind(n, types[n])) for n in header)


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    return "string"


def _guess_kind(name: str, type_: str) -> ColumnKind:
    folded = name.strip().lower()
    if folded in ("lat", "latitude", "y_wgs84") and type_ == "float":
        return ColumnKind.LATITUDE
    if folded in ("lon", "lng", "long", "longitude", "x_wgs84") and type_ == "float":
        return ColumnKind.LONGITUDE
    if type_ in ("timestamp", "date"):
        return ColumnKind.TIME
    if type_ in ("int", "float"):
        return ColumnKind.MEASURE
    if folded in ("id", "identifiant", "code"):
        return ColumnKind.ID
    return ColumnKind.CATEGORY


def _csv_type(c: Column) -> pa.DataType:
    if c.type == "timestamp":
        return pa.timestamp("us")  # naive in the file: read as given, made UTC by _conform
    return arrow_type(c.type)


def _conform(table: pa.Table, columns: tuple[Column, ...]) -> pa.Table:
    arrays = []
    for c in columns:
        col = table[c.name]
        target = arrow_type(c.type)
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


def _features(content: bytes) -> list[Any]:
    try:
        doc = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(
            f"the file is not JSON: {exc}",
            field="file",
            reason="upload.not_json",
            params={"detail": str(exc)},
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise ValidationFailed(
            "a GeoJSON upload must be a FeatureCollection",
            field="file",
            reason="upload.not_feature_collection",
        )
    # Features are numbered from 1, as a reader counts them.
    for i, feature in enumerate(doc["features"], start=1):
        if not isinstance(feature, dict):
            raise _feature_error(i, "not a GeoJSON feature (an object)", "upload.feature_not_object")
        if not isinstance(feature.get("properties") or {}, dict):
            raise _feature_error(i, "its properties are not an object", "upload.feature_properties")
        geometry = feature.get("geometry") or {}
        if not isinstance(geometry, dict):
            raise _feature_error(i, "its geometry is not a GeoJSON geometry", "upload.feature_geometry")
        if geometry.get("type") == "MultiPoint" and not isinstance(geometry.get("coordinates") or [], list):
            raise _feature_error(i, "its MultiPoint coordinates are not a list", "upload.feature_multipoint")
    return doc["features"]


def _parse_geojson(content: bytes, columns: tuple[Column, ...]) -> pa.Table:
    features = _features(content)
    lat = next(
        (c.name for c in columns if c.kind in (ColumnKind.LATITUDE, ColumnKind.PERSONAL_LATITUDE)), None
    )
    lon = next(
        (c.name for c in columns if c.kind in (ColumnKind.LONGITUDE, ColumnKind.PERSONAL_LONGITUDE)), None
    )
    cols: dict[str, list[Any]] = {c.name: [] for c in columns}
    for i, feature in enumerate(features, start=1):  # each an object, checked by _features
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        point = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        if geometry.get("type") == "MultiPoint" and geometry.get("coordinates"):
            point = geometry["coordinates"][0]
        if (lat or lon) and (
            not isinstance(point, list)
            or len(point) < 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in point[:2])
        ):
            raise _feature_error(i, "a point geometry (two numbers) is needed", "upload.feature_point")
        for c in columns:
            if c.name == lat:
                cols[c.name].append(float(point[1]))  # type: ignore[index]
            elif c.name == lon:
                cols[c.name].append(float(point[0]))  # type: ignore[index]
            else:
                value = props.get(c.name)
                if c.type == "string" and isinstance(value, int | float):  # bool is an int too
                    value = str(value).lower() if isinstance(value, bool) else str(value)
                cols[c.name].append(value)
    arrays = []
    for c in columns:
        target = arrow_type(c.type) if c.type != "timestamp" else None
        try:
            arrays.append(pa.array(cols[c.name], type=target))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            raise _misfit(cols[c.name], c, target) from None
    table = pa.table(arrays, names=[c.name for c in columns])
    try:
        return _conform(table, columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ValidationFailed(
            f"the GeoJSON properties do not match the declared columns: {exc}",
            field="file",
            reason="upload.geojson_mismatch",
            params={"detail": str(exc)},
        ) from None


def _feature_error(i: int, what: str, code: str) -> ValidationFailed:
    return ValidationFailed(f"feature {i}: {what}", field="file", reason=code, params={"feature": i})


def _misfit(values: list[Any], c: Column, target: pa.DataType | None) -> ValidationFailed:
    """Which feature's property does not fit its column (the error path only)."""
    for i, value in enumerate(values, start=1):
        try:
            pa.array([value], type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            shown = repr(value)[:40]
            return ValidationFailed(
                f"feature {i}, property {c.name!r}: {shown} does not fit type {c.type}",
                field="file",
                reason="upload.property_misfit",
                params={"feature": i, "property": c.name, "value": shown, "type": c.type},
            )
    return ValidationFailed(
        f"property {c.name!r} does not fit type {c.type} (values of several types)",
        field="file",
        reason="upload.property_types",
        params={"property": c.name, "type": c.type},
    )
