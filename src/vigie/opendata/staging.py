"""The staff's upload of a file (CSV, GeoJSON): checked and previewed, then published.

A file is *staged* first: read with the options chosen (or found: encoding,
delimiter), with a new dataset's columns read from the file itself or an
existing dataset's declared columns, and kept under
``<data_dir>/opendata/uploads/_staging/`` (retention removes what is never
published). The preview says what was read: columns, types, a guess of each
column's kind, the first rows and, for points, their positions.

Publishing a staged file either creates a dataset (its DCAT metadata, the
columns' kinds the publisher checked, its proposed rules: it goes to the ethics
committee like any dataset, and no release is built before the committee
approves) or gives an existing uploaded dataset its new file, which is then
released at once if the dataset's rules are approved (a new file, a new
release, through the charter's checks).

A file is read with pyarrow (:mod:`vigie.opendata.upload_tables`), imported by the
functions that read one: the app that routes here does not load it at start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.opendata.actions import MAX_UPLOAD_BYTES, check_dataset, do_create_dataset, do_release, do_upload
from vigie.opendata.domain import Column, ColumnKind, Dataset, rules_from_json
from vigie.opendata.queries import dataset_of
from vigie.opendata.review import do_propose_rules, proposals, public_text
from vigie.opendata.uploads import FileOptions, check_format, check_options, read_text_options, uploads_dir
from vigie.runtime import Vigie

if TYPE_CHECKING:
    import pyarrow as pa

    from vigie.opendata.suggest import Profile

PREVIEW_ROWS = 20
PREVIEW_POINTS = 2000
STAGING = "_staging"


@dataclass(frozen=True)
class Staged:
    key: str  # the file's SHA-256 (16 hex digits): what publishing names
    fmt: str
    options: FileOptions  # as found: never "auto" once staged
    columns: tuple[Column, ...]
    table: pa.Table
    dataset_id: str = ""  # the dataset it is a new file of ("" for a new dataset)
    profiles: tuple[Profile, ...] = ()  # what the rules editor shows of each column
    rules: dict[str, Any] = field(default_factory=dict)  # the rules the editor starts from
    rules_from: str = "suggested"  # suggested, approved (the dataset's), proposed (under review)

    def preview(self) -> dict[str, Any]:
        from vigie.opendata.suggest import masked_rows

        first = masked_rows(self.table.slice(0, PREVIEW_ROWS).to_pylist(), list(self.profiles))
        lat = next((c.name for c in self.columns if c.kind == ColumnKind.LATITUDE), None)
        lon = next((c.name for c in self.columns if c.kind == ColumnKind.LONGITUDE), None)
        points: list[list[float]] = []
        if lat and lon:
            sample = self.table.select([lat, lon]).slice(0, PREVIEW_POINTS).to_pydict()
            points = [
                [a, b]
                for a, b in zip(sample[lat], sample[lon], strict=True)
                if isinstance(a, float) and isinstance(b, float)
            ]
        return {
            "key": self.key,
            "dataset": self.dataset_id,
            "format": self.fmt,
            "encoding": self.options.encoding if self.fmt == "csv" else "utf-8",
            "delimiter": self.options.delimiter if self.fmt == "csv" else "",
            "rows": self.table.num_rows,
            "columns": [c.to_json() for c in self.columns],
            "profiles": [p.to_json() for p in self.profiles],
            "rules": self.rules,
            "rules_from": self.rules_from,
            "first_rows": [{k: _plain(v) for k, v in row.items()} for row in first],
            "points": points,
        }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def staging_dir(v: Vigie) -> Path:
    return uploads_dir(v, STAGING)


def check_file(
    content: bytes, filename: str, fmt: str, encoding: str, delimiter: str
) -> tuple[str, FileOptions]:
    """The file's format and reading options, or ValidationFailed naming the field."""
    if not content:
        raise ValidationFailed("choose a file to upload (it is empty)", field="file", reason="upload.empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
            field="file",
            reason="upload.too_large",
            params={"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    if fmt in ("", "auto"):
        suffix = Path(filename).suffix.lower().lstrip(".")
        if suffix not in ("csv", "geojson", "json"):
            raise ValidationFailed(
                "the format cannot be told from the file's name: choose CSV or GeoJSON",
                field="format",
                reason="upload.format_unknown",
            )
        fmt = suffix
    return check_format(fmt), check_options(encoding, delimiter)


def do_stage_upload(
    v: Vigie,
    agent: Agent | None,
    content: bytes,
    filename: str = "",
    fmt: str = "auto",
    encoding: str = "auto",
    delimiter: str = "auto",
    dataset_id: str = "",
) -> Staged:
    """Read a file as a new dataset's (``dataset_id`` empty) or as a new file of an uploaded
    dataset, and keep it for publishing (opendata.publish)."""
    from vigie.opendata.names import known_names
    from vigie.opendata.suggest import profile_columns, suggested_rules
    from vigie.opendata.upload_tables import infer_columns, parse_upload

    require(agent, "opendata.publish")
    fmt, options = check_file(content, filename, fmt, encoding, delimiter)
    if fmt == "csv":
        _, found_encoding, found_delimiter = read_text_options(content, options)
        named = {"\t": "tab"}.get(found_delimiter, found_delimiter)
        options = FileOptions(found_encoding, named)
    dataset = None
    if dataset_id:
        dataset = dataset_of(v, dataset_id)
        if dataset.source != "upload":
            raise Conflict(
                f"dataset {dataset_id!r} is built from {dataset.source}, not from uploaded files",
                reason="upload.not_an_upload",
                params={"dataset": dataset_id},
            )
        columns = dataset.columns
    else:
        columns = infer_columns(content, fmt, options)
    table = parse_upload(content, fmt, columns, options)
    profiles = profile_columns(table, columns, known_names(v))
    rules, rules_from = current_rules(v, dataset) if dataset else (None, "suggested")
    if rules is None:
        rules = suggested_rules(columns, profiles).to_json()
    key = hashlib.sha256(content).hexdigest()[:16]
    folder = staging_dir(v)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{key}.tmp"
    tmp.write_bytes(content)
    tmp.replace(folder / f"{key}.{fmt}")
    meta = {"format": fmt, **options.to_json(), "dataset": dataset_id}
    (folder / f"{key}.json").write_bytes(orjson.dumps(meta))
    return Staged(key, fmt, options, columns, table, dataset_id, tuple(profiles), rules, rules_from)


def current_rules(v: Vigie, dataset: Dataset) -> tuple[dict[str, Any] | None, str]:
    """The rules an editor of ``dataset`` starts from: those under review if a proposal is
    open, else the approved ones (None when it has neither)."""
    open_ = next((p for p in proposals(v, dataset.id) if p.status == "open"), None)
    if open_ is not None:
        return open_.rules, "proposed"
    if dataset.rules is not None:
        return dataset.rules.to_json(), "approved"
    return None, "suggested"


def _staged_file(v: Vigie, key: str) -> tuple[bytes, str, FileOptions, str]:
    if len(key) != 16 or any(c not in "0123456789abcdef" for c in key):
        raise NotFound("no staged file with this key (upload it again)", reason="upload.not_staged")
    folder = staging_dir(v)
    meta_path = folder / f"{key}.json"
    if not meta_path.is_file():
        raise NotFound("no staged file with this key (upload it again)", reason="upload.not_staged")
    meta = orjson.loads(meta_path.read_bytes())
    path = folder / f"{key}.{meta['format']}"
    if not path.is_file():
        raise NotFound("no staged file with this key (upload it again)", reason="upload.not_staged")
    options = FileOptions(meta["encoding"], meta["delimiter"])
    return path.read_bytes(), meta["format"], options, meta.get("dataset", "")


def do_publish_staged(v: Vigie, agent: Agent | None, key: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Publish a staged file: a new dataset put to the ethics committee (``payload``: its id,
    metadata, columns with the kinds checked, rules, summary), or a new file of an uploaded
    dataset, released at once when its rules are approved (opendata.publish)."""
    from vigie.opendata.upload_tables import parse_upload

    agent = require(agent, "opendata.publish")
    content, fmt, options, dataset_id = _staged_file(v, key)
    if dataset_id:
        # Checked before the file is kept: a refused change of rules leaves nothing half-done.
        change = _rules_change(v, dataset_of(v, dataset_id), payload)
        rows = do_upload(v, agent, dataset_id, content, fmt, options)
        dataset = dataset_of(v, dataset_id)
        out: dict[str, Any] = {"dataset": dataset_id, "rows": rows, "status": dataset.status}
        if dataset.rules is not None:
            release = do_release(v, agent, dataset_id)
            out["release"] = {
                "status": release.status,
                "version": release.version,
                "reason": release.reason,
                "reasons": release.reasons or [],  # codes and values: the web adapter adds their text
            }
        if change is not None:
            # The file is released under the approved rules; the new ones wait for the committee.
            out["proposal"] = do_propose_rules(
                v, agent, dataset_id, change, str(payload.get("summary") or "")
            )
    else:
        body = {**payload, "source": "upload"}
        new_id, _, _, _, columns, _ = check_dataset(v, body)
        # The file must fit the columns as the publisher declared them before anything is kept.
        parse_upload(content, fmt, columns, options)
        dataset = do_create_dataset(v, agent, body)
        rows = do_upload(v, agent, new_id, content, fmt, options)
        out = {"dataset": new_id, "rows": rows, "status": dataset.status}
    for f in (staging_dir(v) / f"{key}.{fmt}", staging_dir(v) / f"{key}.json"):
        f.unlink(missing_ok=True)
    return out


def _rules_change(v: Vigie, dataset: Dataset, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The rules a new file's publisher changed (to propose to the committee), or None."""
    if "rules" not in payload:
        return None
    rules = rules_from_json(payload["rules"], dataset.columns)
    under_review = [p.rules for p in proposals(v, dataset.id) if p.status == "open"]
    if rules == dataset.rules or rules.to_json() in under_review:
        return None  # the editor sent back the rules it was given
    public_text(payload.get("summary", ""), "summary")  # the committee's record: before the file is kept
    if under_review:
        raise Conflict(
            f"dataset {dataset.id!r} already has a proposal under review: its rules change once the "
            "committee decided",
            field="rules",
        )
    return rules.to_json()


__all__ = ["Staged", "check_file", "do_publish_staged", "do_stage_upload"]
