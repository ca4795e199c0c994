"""``vigie import assets``: load an asset inventory from CSV or GeoJSON.

Records are mapped with a declarative mapping (:mod:`vigie.assets.mapping`),
checked with the asset rules (:func:`check_asset`, zone, linked assets) and
inserted in batches: one transaction per batch, one bulk insert, and one
savepoint per record only when the bulk insert meets a conflict (a concurrent
import). A record whose external id is already in the database is skipped, so
running the same import twice creates nothing the second time. Failed records
are reported with their position in the file (the line where the CSV record
starts, or the GeoJSON feature index) and the reason, naming the field.

Links (``refStreetlightControlCabinet``…) must name assets already in the
database or earlier in the same file: import cabinets before their lights.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from vigie.assets.actions import link_problems, locate, referenced_ids, row_values, types_of
from vigie.assets.domain import AssetDraft, check_asset
from vigie.assets.mapping import AssetMapping, load_asset_mapping
from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.errors import VigieError
from vigie.runtime import Vigie
from vigie.sources.mapping import RowError
from vigie.sources.reading import SHOWN_FAILURES, ImportResult, Record, open_source, progress_bar

BATCH_SIZE = 1000


@dataclass
class AssetImportResult(ImportResult):
    created_by_type: Counter[str] = field(default_factory=Counter)

    def summary_lines(self, shown: int = SHOWN_FAILURES) -> list[str]:
        lines = super().summary_lines(shown)
        if self.created_by_type:
            detail = ", ".join(f"{t} {n}" for t, n in sorted(self.created_by_type.items()))
            lines.insert(2, f"  created by type: {detail}")
        return lines


def _reason(exc: Exception) -> str:
    if isinstance(exc, RowError):
        return f"{exc.field}: {exc.message}"
    if isinstance(exc, VigieError):
        # AssetInvalid's message already names every field.
        if exc.field and not exc.message.startswith(f"{exc.field}:"):
            return f"{exc.field}: {exc.message}"
        return exc.message
    if isinstance(exc, SQLAlchemyError):
        return f"database: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _import_batch(v: Vigie, mapping: AssetMapping, batch: list[Record], result: AssetImportResult) -> None:
    checked: list[tuple[int, AssetDraft, str]] = []
    for rec in batch:
        if rec.error:
            result.failed.append((rec.position, rec.error))
            continue
        try:
            draft = check_asset(mapping.map_asset(rec.get, rec.geometry), coerce=True)
            checked.append((rec.position, draft, locate(v, draft)))
        except (RowError, VigieError) as exc:
            result.failed.append((rec.position, _reason(exc)))
    if not checked:
        return
    now = utcnow()
    with v.db.session(write=True) as s:
        external_ids = sorted({d.external_id for _, d, _ in checked if d.external_id})
        ids = sorted({d.id for _, d, _ in checked})
        imported: set[str] = set()  # external ids in the database or earlier in this file
        owner: dict[str, str | None] = {}  # asset id -> its external id
        for i in range(0, len(external_ids), 500):
            chunk = external_ids[i : i + 500]
            imported.update(
                e for e in s.scalars(select(AssetRow.external_id).where(AssetRow.external_id.in_(chunk))) if e
            )
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = select(AssetRow.id, AssetRow.external_id).where(AssetRow.id.in_(chunk))
            owner.update((row[0], row[1]) for row in s.execute(q))
        known = types_of(s, (r for _, d, _ in checked for r in referenced_ids(d)))
        pending: list[tuple[int, AssetDraft, dict[str, object]]] = []
        for position, draft, zone in checked:
            if draft.external_id in imported:
                result.skipped += 1
                continue
            if draft.id in owner:
                other = owner[draft.id]
                result.failed.append(
                    (
                        position,
                        f"id: '{draft.id}' is already used by another asset"
                        + (f" (external id {other})" if other else ""),
                    )
                )
                continue
            problems = link_problems(draft, known)
            if problems:
                result.failed.append((position, "; ".join(f"{f}: {m}" for f, m in problems)))
                continue
            pending.append((position, draft, row_values(draft, zone, now)))
            if draft.external_id:
                imported.add(draft.external_id)
            owner[draft.id] = draft.external_id
            known[draft.id] = draft.type
        if not pending:
            return
        try:
            with s.begin_nested():
                s.execute(insert(AssetRow), [values for _, _, values in pending])
            done = [d for _, d, _ in pending]
        except IntegrityError:
            done = _insert_one_by_one(s, pending, result)
        s.commit()
    result.created += len(done)
    result.created_by_type.update(d.type for d in done)


def _insert_one_by_one(
    s: Session, pending: list[tuple[int, AssetDraft, dict[str, object]]], result: AssetImportResult
) -> list[AssetDraft]:
    """After a conflict (most likely a concurrent import of the same file), row by row."""
    done: list[AssetDraft] = []
    for position, draft, values in pending:
        try:
            with s.begin_nested():
                s.execute(insert(AssetRow), [values])
        except IntegrityError as exc:
            found = s.scalar(select(AssetRow.id).where(AssetRow.external_id == draft.external_id))
            if found is not None:
                result.skipped += 1
            else:
                result.failed.append((position, f"database: {exc.orig}"))
            continue
        done.append(draft)
    return done


def run_asset_import(
    v: Vigie,
    file: Path | str,
    mapping: str | Path,
    progress: bool = False,
    *,
    batch_size: int = BATCH_SIZE,
) -> AssetImportResult:
    """Import every record of ``file``; bad records are reported, never fatal.

    Raises :class:`ConfigurationError` (before writing anything) when the
    mapping is invalid or does not fit the file.
    """
    started = time.perf_counter()
    m = load_asset_mapping(mapping)
    path = Path(file)
    source = open_source(path, m)
    result = AssetImportResult(file=str(path), mapping=str(mapping), unit=source.unit)
    with progress_bar(progress, source.total, f"assets from {path.name}") as advance:
        batch: list[Record] = []
        for rec in source.records():
            batch.append(rec)
            if len(batch) >= batch_size:
                _import_batch(v, m, batch, result)
                advance(len(batch))
                batch = []
        if batch:
            _import_batch(v, m, batch, result)
            advance(len(batch))
    result.failed.sort(key=lambda f: f[0])
    result.elapsed = time.perf_counter() - started
    return result


__all__ = ["AssetImportResult", "run_asset_import", "BATCH_SIZE"]
