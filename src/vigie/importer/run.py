"""``vigie import requests``: load historical reports from CSV or GeoJSON.

Records are mapped with a declarative mapping (:mod:`vigie.importer.mapping`),
checked with the same rules as any submission (:func:`check_submission`) and
inserted in batches, one transaction per batch and one savepoint per record,
so a bad record never breaks its batch. A record whose external id is already
in the database is skipped: running the same import twice creates nothing the
second time. Failed records are reported with their position in the file (the
line where the CSV record starts, or the GeoJSON feature index) and the reason.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from vigie.errors import ConfigProblem, ConfigurationError, VigieError
from vigie.events.domain import DomainEvent
from vigie.importer.mapping import Getter, MappedRow, Mapping, RowError, load_mapping
from vigie.importer.source_mapping import SourceMapping
from vigie.reports.domain import CLOSED, Channel
from vigie.reports.intake import CheckedSubmission, Submission, check_submission, do_create_reports
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie

BATCH_SIZE = 2000  # per transaction; memory stays flat (bench/bench_import.py)
SHOWN_FAILURES = 20


@dataclass
class ImportResult:
    file: str = ""
    mapping: str = ""
    unit: str = "line"  # "line" (CSV) or "feature" (GeoJSON index, from 0)
    created: int = 0
    skipped: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    elapsed: float = 0.0
    checked_only: bool = False  # --check: nothing was written, "created" would be

    @property
    def total(self) -> int:
        return self.created + self.skipped + len(self.failed)

    def where(self, position: int) -> str:
        return f"line {position}" if self.unit == "line" else f"features[{position}]"

    def summary_lines(self, shown: int = SHOWN_FAILURES) -> list[str]:
        records = "features" if self.unit == "feature" else "records"
        lines = [
            f"{self.file}: {self.total} {records} read in {self.elapsed:.1f} s (mapping {self.mapping})",
            f"  would be created (--check, nothing written): {self.created}"
            if self.checked_only
            else f"  created: {self.created}",
            f"  skipped (already imported): {self.skipped}",
            f"  failed: {len(self.failed)}",
        ]
        for position, reason in self.failed[:shown]:
            lines.append(f"  {self.where(position)}: {reason}")
        if len(self.failed) > shown:
            lines.append(f"  … and {len(self.failed) - shown} more failures")
        return lines


@dataclass(slots=True)
class Record:
    position: int
    get: Getter
    geometry: Any = None
    error: str | None = None


# --- sources ---------------------------------------------------------------


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


class CsvSource:
    """A CSV file read twice: once to check it and count records, once to import."""

    unit = "line"

    def __init__(self, path: Path, mapping: SourceMapping) -> None:
        self.path = path
        self.mapping = mapping
        self.header: list[str] = []
        self.total = 0
        line = 0
        try:
            with self._open() as f:
                reader = csv.reader(f, delimiter=mapping.delimiter)
                self.header = [h.strip() for h in next(reader, [])]
                for row in reader:
                    line = reader.line_num
                    if not _blank(row):
                        self.total += 1
        except UnicodeDecodeError as exc:
            raise ConfigurationError(
                [
                    mapping.problem(
                        ("csv", "encoding"),
                        f"{path} is not readable as {mapping.encoding}: {exc.reason} at byte {exc.start}",
                    )
                ]
            ) from exc
        except csv.Error as exc:
            raise ConfigurationError([ConfigProblem(str(path), line + 1, "(csv)", str(exc))]) from exc
        if not self.header:
            raise ConfigurationError([ConfigProblem(str(path), 1, "(csv)", "the file is empty")])
        columns = set(self.header)
        problems = [
            mapping.problem(where, f"no column '{name}' in {path.name}")
            for name, where in mapping.columns()
            if name not in columns
        ]
        if problems:
            problems.sort(key=lambda p: p.line or 0)
            shown = ", ".join(self.header[:30]) + (" …" if len(self.header) > 30 else "")
            problems[-1].message += f" (its columns: {shown})"
            raise ConfigurationError(problems)

    def _open(self) -> Any:
        try:
            return self.path.open(encoding=self.mapping.encoding, newline="")
        except OSError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(self.path), None, "(file)", exc.strerror or str(exc))]
            ) from exc

    def records(self) -> Iterator[Record]:
        index: dict[str, int] = {}
        for i, name in enumerate(self.header):
            index.setdefault(name, i)
        nulls = self.mapping.null_values
        with self._open() as f:
            reader = csv.reader(f, delimiter=self.mapping.delimiter)
            next(reader, None)
            while True:
                start = reader.line_num + 1  # a quoted field may span several lines
                row = next(reader, None)
                if row is None:
                    return
                if _blank(row):
                    continue
                yield Record(start, _row_getter(row, index, nulls))


def _row_getter(row: list[str], index: dict[str, int], nulls: frozenset[str]) -> Getter:
    def get(column: str) -> str | None:
        i = index.get(column)
        if i is None or i >= len(row):
            return None
        value = row[i].strip()
        return None if value in nulls else value

    return get


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


class GeoJsonSource:
    """Features of a FeatureCollection: their properties are the columns."""

    unit = "feature"

    def __init__(self, path: Path, mapping: SourceMapping) -> None:
        self.path = path
        self.mapping = mapping
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise ConfigurationError(
                [ConfigProblem(str(path), None, "(file)", exc.strerror or str(exc))]
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise ConfigurationError(
                [ConfigProblem(str(path), line, "(geojson)", f"not valid JSON: {exc}")]
            ) from exc
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = {"type": "FeatureCollection", "features": [data]}
        if not (isinstance(data, dict) and isinstance(data.get("features"), list)):
            raise ConfigurationError(
                [ConfigProblem(str(path), None, "(geojson)", "not a GeoJSON FeatureCollection")]
            )
        self.features: list[Any] = data["features"]
        self.total = len(self.features)

    def records(self) -> Iterator[Record]:
        nulls = self.mapping.null_values
        for i, feature in enumerate(self.features):
            if not isinstance(feature, dict):
                yield Record(i, lambda _c: None, error="the feature is not a JSON object")
                continue
            props = feature.get("properties") or {}
            if not isinstance(props, dict):
                yield Record(i, lambda _c: None, error="the feature's properties are not an object")
                continue
            values: dict[str, str] = {}
            for key, raw in props.items():
                text = _scalar(raw)
                if text is not None and text.strip() not in nulls:
                    values[str(key)] = text.strip()
            if "id" not in values and feature.get("id") is not None:
                values["id"] = str(feature["id"])
            yield Record(i, values.get, feature.get("geometry"))


def open_source(path: Path, mapping: SourceMapping) -> CsvSource | GeoJsonSource:
    fmt = mapping.format
    if fmt is None:
        fmt = "geojson" if path.suffix.lower() in (".geojson", ".json") else "csv"
    if not path.is_file():
        raise ConfigurationError([ConfigProblem(str(path), None, "(file)", "no such file")])
    return GeoJsonSource(path, mapping) if fmt == "geojson" else CsvSource(path, mapping)


# --- import ----------------------------------------------------------------


@contextmanager
def progress_bar(
    enabled: bool, total: int, label: str, verb: str = "importing"
) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(f"{verb} {label}", total=total)
        yield lambda n: bar.advance(task, n)


def _reason(exc: Exception) -> str:
    if isinstance(exc, VigieError | RowError):
        return f"{exc.field}: {exc.message}" if exc.field else exc.message
    if isinstance(exc, SQLAlchemyError):
        return f"database: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _submission(v: Vigie, row: MappedRow, keep_number: bool) -> Submission:
    attributes = row.attributes
    if attributes:  # a mapping's attributes go to the services that define them
        service = v.catalogue.service(row.service_code or "")
        defined = {a.code for a in service.attributes} if service else set()
        attributes = {code: value for code, value in attributes.items() if code in defined}
    closed_at = row.closed_at
    if closed_at is None and row.status in CLOSED:
        closed_at = row.updated_at
    return Submission(
        service_code=row.service_code or "",
        channel=Channel.IMPORT,
        description=row.description,
        lat=row.lat,
        long=row.long,
        address=row.address,
        attributes=attributes,
        external_id=row.external_id,
        requested_at=row.requested_at,
        status=row.status,
        closed_at=closed_at,
        updated_at=row.updated_at,
        status_notes=row.status_notes,
        reference_number=row.source_number if keep_number else None,
    )


def _import_batch(
    v: Vigie,
    mapping: Mapping,
    tz: tzinfo,
    batch: list[Record],
    result: ImportResult,
    history: bool,
    write: bool = True,
) -> None:
    """Map and check a batch, then create its reports in one call (the same checks on a list)."""
    mapped: list[tuple[int, MappedRow]] = []
    for rec in batch:
        if rec.error:
            result.failed.append((rec.position, rec.error))
            continue
        try:
            mapped.append((rec.position, mapping.map_record(rec.get, rec.geometry, tz)))
        except RowError as exc:
            result.failed.append((rec.position, _reason(exc)))
    if not mapped:
        return
    with v.db.session() as s:
        wanted = {row.external_id for _, row in mapped}
        existing = set(s.scalars(select(ReportRow.external_id).where(ReportRow.external_id.in_(wanted))))
    checked: list[tuple[int, CheckedSubmission]] = []
    for position, row in mapped:
        if row.external_id in existing:  # imported before, or earlier in this file
            result.skipped += 1
            continue
        try:
            checked.append((position, check_submission(v, _submission(v, row, mapping.keep_source_number))))
        except Exception as exc:  # a bad record never stops the import
            result.failed.append((position, _reason(exc)))
            continue
        existing.add(row.external_id)
    if not write:  # --check: what would be created
        result.created += len(checked)
        return
    if not checked:
        return
    try:
        do_create_reports(v, [c for _, c in checked], history=history)
        result.created += len(checked)
        return
    except Exception:  # noqa: S110 - the batch wrote nothing: name the records at fault below
        pass
    for position, one in checked:
        try:
            do_create_reports(v, [one], history=history)
        except Exception as exc:
            with v.db.session() as s:
                found = s.scalar(select(ReportRow.id).where(ReportRow.external_id == one.sub.external_id))
            if found is not None:  # most likely a concurrent import of the same record
                result.skipped += 1
            else:
                result.failed.append((position, _reason(exc)))
            continue
        result.created += 1


MODES = ("history", "live")


def run_import(
    v: Vigie,
    file: Path | str,
    mapping: str | Path,
    progress: bool = False,
    *,
    batch_size: int = BATCH_SIZE,
    mode: str = "history",
    check: bool = False,
) -> ImportResult:
    """Import every record of ``file``; bad records are reported, never fatal.

    ``mode``: ``history`` (the default) brings a previous system's reports as
    they were: statuses, dates and notes from the source, no SLA clock (never
    overdue), no e-mail, no event per report. ``live`` takes them in as current
    work: their SLA clock runs from their requested date. Either way one
    ``reports.imported`` event is published at the end, so that the control
    room reloads once. ``check`` maps and checks every record, writes nothing
    and reports what would be refused.

    Raises :class:`ConfigurationError` (before writing anything) when the
    mapping is invalid or does not fit the file.
    """
    if mode not in MODES:
        raise ConfigurationError(
            [ConfigProblem("(command line)", None, "--mode", f"'{mode}' is not one of {', '.join(MODES)}")]
        )
    started = time.perf_counter()
    m = load_mapping(mapping, service_codes=v.catalogue.services.keys())
    path = Path(file)
    source = open_source(path, m)
    tz = m.timezone or v.city.timezone
    result = ImportResult(file=str(path), mapping=str(mapping), unit=source.unit, checked_only=check)
    history = mode == "history"
    with progress_bar(progress, source.total, path.name, "checking" if check else "importing") as advance:
        batch: list[Record] = []
        for rec in source.records():
            batch.append(rec)
            if len(batch) >= batch_size:
                _import_batch(v, m, tz, batch, result, history, write=not check)
                advance(len(batch))
                batch = []
        if batch:
            _import_batch(v, m, tz, batch, result, history, write=not check)
            advance(len(batch))
    result.failed.sort(key=lambda f: f[0])
    result.elapsed = time.perf_counter() - started
    if result.created:
        v.bus.publish([imported_event(result, mode)])
    return result


def imported_event(result: ImportResult, mode: str) -> DomainEvent:
    """The one event of an import: counts only, for agents (no report's data)."""
    counts = {"created": result.created, "skipped": result.skipped, "failed": len(result.failed)}
    return DomainEvent(
        type="reports.imported",
        report_ids=(),
        public=False,
        payload={},
        agent={"file": Path(result.file).name, "mode": mode, **counts},
    )


__all__ = ["ImportResult", "run_import", "open_source", "imported_event", "BATCH_SIZE", "MODES"]
