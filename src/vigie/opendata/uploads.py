"""Files a city uploads (CSV, GeoJSON) as a dataset's source.

The upload is kept as it came under ``<data_dir>/opendata/uploads/<dataset>/``
(the newest one is what the next release reads); its rows are parsed with the
dataset's declared columns (:mod:`vigie.opendata.upload_tables`, with pyarrow,
imported when a file is read), and any value that does not fit is refused with
its line (CSV) or feature number (GeoJSON), before the upload is kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from vigie.errors import ValidationFailed
from vigie.opendata.sources import Source, register_source

if TYPE_CHECKING:
    import pyarrow as pa

    from vigie.opendata.domain import Dataset
    from vigie.runtime import Vigie

FORMATS = ("csv", "geojson")
ENCODINGS = ("utf-8", "windows-1252")  # French spreadsheets save in one or the other
DELIMITERS = {";": ";", ",": ",", "tab": "\t", "|": "|"}


@dataclass(frozen=True)
class FileOptions:
    """How a CSV file is read: ``auto`` finds out (UTF-8 when it decodes, else Windows-1252;
    the delimiter its header line holds most of)."""

    encoding: str = "auto"
    delimiter: str = "auto"

    def to_json(self) -> dict[str, str]:
        return {"encoding": self.encoding, "delimiter": self.delimiter}


def check_options(encoding: str, delimiter: str) -> FileOptions:
    if encoding not in ("auto", *ENCODINGS):
        raise ValidationFailed(
            f"encoding must be auto or one of {', '.join(ENCODINGS)}",
            field="encoding",
            reason="upload.encoding_choice",
            params={"choices": list(ENCODINGS)},
        )
    if delimiter not in ("auto", *DELIMITERS):
        raise ValidationFailed(
            f"delimiter must be auto or one of {', '.join(DELIMITERS)}",
            field="delimiter",
            reason="upload.delimiter_choice",
            params={"choices": list(DELIMITERS)},
        )
    return FileOptions(encoding, delimiter)


def check_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    fmt = "geojson" if fmt == "json" else fmt
    if fmt not in FORMATS:
        raise ValidationFailed(
            f"format must be one of {', '.join(FORMATS)}",
            field="format",
            reason="upload.format_choice",
            params={"choices": list(FORMATS)},
        )
    return fmt


def uploads_dir(v: Vigie, dataset_id: str) -> Path:
    return v.settings.data_dir / "opendata" / "uploads" / dataset_id


def store_upload(
    v: Vigie, dataset_id: str, content: bytes, fmt: str, options: FileOptions = FileOptions()
) -> Path:
    folder = uploads_dir(v, dataset_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = folder / f"{digest}.{fmt}"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
    marker = folder / "current.tmp"
    marker.write_bytes(orjson.dumps({"file": path.name, **options.to_json()}))
    marker.replace(folder / "current")
    return path


def _marker(v: Vigie, dataset_id: str) -> tuple[Path, FileOptions] | None:
    marker = uploads_dir(v, dataset_id) / "current"
    if not marker.is_file():
        return None
    raw = marker.read_text(encoding="utf-8").strip()
    # Before file options were kept, the marker held the file's name alone.
    found = orjson.loads(raw) if raw.startswith("{") else {"file": raw}
    path = marker.parent / str(found["file"])
    options = FileOptions(found.get("encoding", "auto"), found.get("delimiter", "auto"))
    return (path, options) if path.is_file() else None


def current_upload(v: Vigie, dataset_id: str) -> Path | None:
    found = _marker(v, dataset_id)
    return found[0] if found else None


def build_upload(v: Vigie, dataset: Dataset) -> pa.Table:
    from vigie.opendata.upload_tables import parse_upload  # pyarrow: when a release is built

    found = _marker(v, dataset.id)
    if found is None:
        raise ValidationFailed(
            f"dataset {dataset.id!r} has no uploaded file yet",
            field="file",
            reason="upload.no_file_yet",
            params={"dataset": dataset.id},
        )
    path, options = found
    return parse_upload(path.read_bytes(), path.suffix.lstrip("."), dataset.columns, options)


def read_text_options(content: bytes, options: FileOptions) -> tuple[bytes, str, str]:
    """(the file as UTF-8 without a BOM, its encoding, its delimiter), or ValidationFailed
    naming the line a chosen encoding does not decode."""
    body = content[3:] if content.startswith(b"\xef\xbb\xbf") else content
    encoding = options.encoding
    try:
        body.decode("utf-8")
        if encoding == "auto":
            encoding = "utf-8"
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            line = body[: exc.start].count(b"\n") + 1
            raise ValidationFailed(
                f"line {line}: the file is not UTF-8 (choose Windows-1252 if it was saved by a spreadsheet)",
                field="encoding",
                reason="upload.not_utf8",
                params={"line": line},
            ) from None
        encoding = "windows-1252"
    if encoding != "utf-8":
        try:
            body = body.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            line = body[: exc.start].count(b"\n") + 1
            raise ValidationFailed(
                f"line {line}: the file is not {encoding}",
                field="encoding",
                reason="upload.not_encoding",
                params={"line": line, "encoding": encoding},
            ) from None
    first = body[:4096].decode("utf-8", errors="replace").splitlines()
    header = first[0] if first else ""
    if options.delimiter != "auto":
        delimiter = DELIMITERS[options.delimiter]
    else:
        delimiter = max(DELIMITERS.values(), key=header.count)
        if not header.count(delimiter):
            delimiter = ","
    return body, encoding, delimiter


def register_upload_source() -> None:
    register_source(
        Source("upload", None, build_upload, "Fichier déposé (CSV, GeoJSON)", "Uploaded file (CSV, GeoJSON)")
    )
