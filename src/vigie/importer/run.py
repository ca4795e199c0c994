"""``vigie import requests``: load historical reports from CSV or GeoJSON.

Records are mapped with a declarative mapping (:mod:`vigie.importer.mapping`),
checked with the same rules as any submission (:func:`check_submissions`, a
batch at a time) and created by the one creation function in batches, one
transaction per batch; a batch that fails is retried one record at a time,
so a bad record never breaks its batch. A record whose external id is already
in the database is skipped: running the same import twice creates nothing the
second time. Failed records are reported with their position in the file (the
line where the CSV record starts, or the GeoJSON feature index) and the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from vigie.errors import ConfigProblem, ConfigurationError, VigieError
from vigie.events.domain import DomainEvent
from vigie.importer.mapping import MappedRow, Mapping, RowError, load_mapping
from vigie.reports.domain import Channel
from vigie.reports.intake import CheckedSubmission, Submission, check_submissions, do_create_reports
from vigie.reports.lookups import taken_external_ids
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie
from vigie.sources.reading import ImportResult, Record, long_lived_objects_frozen, open_source, progress_bar

BATCH_SIZE = 2000  # per transaction; memory stays flat (bench/bench_import.py)
# --- import ----------------------------------------------------------------


# A point's problem is the mapping's `location`, whichever of lat/long the checks name.
_FIELD_NAMES = {"lat": "location", "long": "location"}


def _reason(exc: Exception) -> str:
    if isinstance(exc, VigieError | RowError):
        field = _FIELD_NAMES.get(exc.field or "", exc.field)
        return f"{field}: {exc.message}" if field else exc.message
    if isinstance(exc, SQLAlchemyError):
        return f"database: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _submission(v: Vigie, row: MappedRow, keep_number: bool, defined: dict[str, set[str]]) -> Submission:
    """``defined``: the attribute codes of each service seen (filled as services are met)."""
    attributes = row.attributes
    if attributes:  # a mapping's attributes go to the services that define them
        service_code = row.service_code or ""
        if service_code not in defined:
            service = v.catalogue.service(service_code)
            defined[service_code] = {a.code for a in service.attributes} if service else set()
        known = defined[service_code]
        attributes = {code: value for code, value in attributes.items() if code in known}
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
        closed_at=row.closed_at,
        updated_at=row.updated_at,
        status_notes=row.status_notes,
        reference_number=row.source_number if keep_number else None,
    )


def _map(
    mapping: Mapping, tz: tzinfo, batch: list[Record], result: ImportResult
) -> list[tuple[int, MappedRow]]:
    mapped: list[tuple[int, MappedRow]] = []
    for rec in batch:
        if rec.error:
            result.failed.append((rec.position, rec.error))
            continue
        try:
            row = mapping.map_record(rec.get, rec.geometry, tz)
        except RowError as exc:
            result.failed.append((rec.position, _reason(exc)))
            continue
        if row.lat is None and row.long is None and not row.address:
            # Said here, where the mapping is known: the submission's checks would ask for
            # "lat and long, or an address", names the import's reader cannot see.
            where = mapping.location_source()
            result.failed.append((rec.position, f"location: no point ({where} is empty) and no address"))
            continue
        mapped.append((rec.position, row))
    return mapped


def _check(
    v: Vigie, mapping: Mapping, mapped: list[tuple[int, MappedRow]]
) -> list[CheckedSubmission | Exception]:
    """The submission checks of a batch, in one call (the same checks on a list)."""
    defined: dict[str, set[str]] = {}
    keep = mapping.keep_source_number
    return check_submissions(v, [_submission(v, row, keep, defined) for _, row in mapped])


def _select(
    v: Vigie,
    mapped: list[tuple[int, MappedRow]],
    checked: list[CheckedSubmission | Exception],
    result: ImportResult,
) -> list[tuple[int, CheckedSubmission]]:
    """The batch's records to create: not in the database (nor earlier in the file), checked.

    Asked once the previous batch is committed, so that its records count as there.
    """
    with v.db.session() as s:
        existing = taken_external_ids(s, {row.external_id for _, row in mapped})
    todo: list[tuple[int, CheckedSubmission]] = []
    for (position, row), one in zip(mapped, checked, strict=True):
        if row.external_id in existing:  # imported before, or earlier in this file
            result.skipped += 1
        elif isinstance(one, Exception):  # a bad record never stops the import
            result.failed.append((position, _reason(one)))
        else:
            todo.append((position, one))
            existing.add(row.external_id)
    return todo


def _written(
    v: Vigie,
    writing: Future[Any],
    todo: list[tuple[int, CheckedSubmission]],
    result: ImportResult,
    history: bool,
) -> None:
    """Wait for a batch's write; if it failed (it wrote nothing), name the records at fault."""
    try:
        writing.result()
        result.created += len(todo)
        return
    except Exception:  # noqa: S110 - the batch wrote nothing: name the records at fault below
        pass
    for position, one in todo:
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

    Batches go through a pipeline of two: while one is written (in a thread of
    its own: the database's work, in SQLite's C code or PostgreSQL's server,
    does not hold the interpreter), the next is read, mapped and checked. One
    batch is written at a time, so memory holds two batches at most.

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
    result = ImportResult(
        file=str(path), mapping=str(mapping), unit=source.unit, checked_only=check, checkable=True
    )
    history = mode == "history"
    verb = "checking" if check else "importing"
    with (
        long_lived_objects_frozen(),
        progress_bar(progress, source.total, path.name, verb) as advance,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigie-import") as writer,
    ):
        pending: tuple[Future[Any], list[tuple[int, CheckedSubmission]], int] | None = None
        for batch in _batches(source.records(), batch_size):
            mapped = _map(m, tz, batch, result)
            checked = _check(v, m, mapped)
            if pending is not None:
                _written(v, pending[0], pending[1], result, history)
                advance(pending[2])
                pending = None
            todo = _select(v, mapped, checked, result) if mapped else []
            if check:  # --check: what would be created
                result.created += len(todo)
            elif todo:
                writing = writer.submit(do_create_reports, v, [c for _, c in todo], history=history)
                pending = (writing, todo, len(batch))
                continue
            advance(len(batch))
        if pending is not None:
            _written(v, pending[0], pending[1], result, history)
            advance(pending[2])
    result.failed.sort(key=lambda f: f[0])
    result.elapsed = time.perf_counter() - started
    if result.created and not check:
        v.bus.publish([imported_event(result, mode)])
    return result


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


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
