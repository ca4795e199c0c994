"""Open data use cases: create a dataset, upload its file, build a release.

A dataset is created with the rules its publisher proposes, and a proposal
goes to the ethics committee (:mod:`vigie.opendata.review`); it can be
released only once the committee approved its rules. A release reads the live
data through the dataset's source, goes through the charter
(:mod:`vigie.opendata.charter`), is written as Parquet to the release store,
read back by the personal data scanner, and recorded as published (a new
version, a changelog line) or blocked (the reason, no file kept).

The engines of a build (the charter and the scanner: numpy, pyarrow) and of an
upload's reading are imported by the use cases that run them: the web process
imports this module at start and loads them with its first release or upload.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import SYSTEM, Agent
from vigie.accounts.permissions import require
from vigie.addresses.nearest import street_points
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.opendata.building import build_lock
from vigie.opendata.builtin import sensitive_services
from vigie.opendata.domain import (
    FREQUENCIES,
    Column,
    Dataset,
    check_slug,
    columns_from_json,
    metadata_from_json,
    rules_from_json,
)
from vigie.opendata.files import newest_first, release_key
from vigie.opendata.queries import dataset_of, release_store
from vigie.opendata.review import public_text
from vigie.opendata.sources import source_of
from vigie.opendata.storage import DatasetRow, ProposalRow, ReleaseRow
from vigie.opendata.uploads import FileOptions, check_format, store_upload
from vigie.runtime import Vigie

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def check_dataset(
    v: Vigie, payload: dict[str, Any]
) -> tuple[str, dict[str, Any], str, dict[str, Any], tuple[Column, ...], dict[str, Any]]:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object")
    dataset_id = check_slug(payload.get("id"))
    metadata = metadata_from_json(payload.get("metadata"))  # type: ignore[arg-type]
    source = source_of(str(payload.get("source") or ""))
    params = payload.get("params") or {}
    if not isinstance(params, dict):
        raise ValidationFailed("params must be an object", field="params")
    if source.columns is None:
        columns = columns_from_json(payload.get("columns"))
    else:
        if payload.get("columns"):
            raise ValidationFailed(f"source {source.kind!r} declares its own columns", field="columns")
        columns = source.columns
    rules = rules_from_json(payload.get("rules", {}), columns)
    return dataset_id, metadata.to_json(), source.kind, params, columns, rules.to_json()


def do_create_dataset(v: Vigie, agent: Agent | None, payload: dict[str, Any], summary: str = "") -> Dataset:
    """A new dataset with its proposed rules, put to the ethics committee (opendata.publish)."""
    agent = require(agent, "opendata.publish")
    dataset_id, metadata, source, params, columns, rules = check_dataset(v, payload)
    summary = public_text(summary or payload.get("summary") or "", "summary")
    now = utcnow()
    with v.db.session(write=True) as s:
        if s.get(DatasetRow, dataset_id) is not None:
            raise Conflict(f"a dataset {dataset_id!r} already exists", field="id")
        s.add(
            DatasetRow(
                id=dataset_id,
                metadata_=metadata,
                source=source,
                params=params,
                columns=[c.to_json() for c in columns],
                status="in_review",
                rules=None,
                rules_version=0,
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
        s.add(
            ProposalRow(
                dataset_id=dataset_id,
                kind="new",
                rules=rules,
                summary=summary,
                status="open",
                proposed_by=None if agent.is_system else agent.id,
                created_at=now,
            )
        )
        do_audit(s, agent, "opendata.dataset.create", "dataset", dataset_id, {"source": source})
        s.commit()
    return dataset_of(v, dataset_id)


def do_upload(
    v: Vigie,
    agent: Agent | None,
    dataset_id: str,
    content: bytes,
    fmt: str,
    options: FileOptions = FileOptions(),
) -> int:
    """A new file for an uploaded dataset: parsed with its columns, then kept; its row count."""
    from vigie.opendata.upload_tables import parse_upload

    agent = require(agent, "opendata.publish")
    dataset = dataset_of(v, dataset_id)
    if dataset.source != "upload":
        raise Conflict(f"dataset {dataset_id!r} is built from {dataset.source}, not from uploaded files")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", field="file"
        )
    fmt = check_format(fmt)
    table = parse_upload(content, fmt, dataset.columns, options)
    path = store_upload(v, dataset_id, content, fmt, options)
    with v.db.session(write=True) as s:
        do_audit(
            s, agent, "opendata.upload", "dataset", dataset_id, {"file": path.name, "rows": table.num_rows}
        )
        s.commit()
    return table.num_rows


def do_release(
    v: Vigie, agent: Agent | None, dataset_id: str, note: str = "", trigger: str = "demand"
) -> ReleaseRow:
    """Build, check and publish a release of ``dataset_id``; a blocked one is recorded with why."""
    from vigie.opendata.charter import Check, apply_charter
    from vigie.opendata.names import known_names
    from vigie.opendata.scanner import scan_file

    agent = require(agent, "opendata.publish")
    dataset = dataset_of(v, dataset_id)
    if dataset.rules is None:
        raise Conflict(
            f"dataset {dataset_id!r} cannot be released before the ethics committee approves its rules"
        )
    source = source_of(dataset.source)
    table = source.build(v, dataset)
    outcome = apply_charter(
        table,
        dataset,
        dataset.rules,
        sensitive_services=sensitive_services(v),
        salt=_salt(v, dataset_id),
        streets=partial(street_points, v.db),
    )
    store = release_store(v)
    with v.db.session(write=True) as s:
        last = s.scalar(select(func.max(ReleaseRow.version)).where(ReleaseRow.dataset_id == dataset_id)) or 0
        version = last + 1
        key = release_key(dataset_id, version)
        checks = list(outcome.checks)
        reasons = [c.reason() for c in checks if not c.ok]
        size, sha = 0, ""
        if not outcome.blocked:
            size, sha = store.put(key, newest_first(outcome.table))
            findings = scan_file(store.local_path(key), known_names(v))
            checks.append(
                Check(
                    "personal data scan",
                    not findings,
                    "; ".join(str(f) for f in findings)
                    if findings
                    else "no e-mail, phone number or known name",
                )
            )
            reasons.extend(f.reason() for f in findings)
        reason = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
        if reason:
            store.delete(key)
        row = ReleaseRow(
            dataset_id=dataset_id,
            version=None if reason else version,
            status="blocked" if reason else "published",
            reason=reason,
            reasons=reasons or None,
            checks=[c.to_json() for c in checks],
            rows=0 if reason else outcome.table.num_rows,
            bytes=size if not reason else 0,
            sha256=sha if not reason else "",
            file_key="" if reason else key,
            columns=[] if reason else _schema_json(outcome.table.schema),
            rules_version=dataset.rules_version,
            note=note or ("" if reason else _changelog(s, dataset_id, outcome.table, last, outcome.notes)),
            trigger=trigger,
            created_at=utcnow(),
        )
        s.add(row)
        do_audit(
            s,
            agent,
            "opendata.release.blocked" if reason else "opendata.release.publish",
            "dataset",
            dataset_id,
            {"version": row.version, "rows": row.rows},
        )
        try:
            s.commit()
        except Exception:
            if not reason:
                store.delete(key)  # nothing half-written: no file without its row
            raise
        s.refresh(row)
        s.expunge(row)
    if reason:
        log.info("open data release of %s blocked", dataset_id)
    return row


def do_release_on_demand(v: Vigie, agent: Agent | None, dataset_id: str) -> ReleaseRow | None:
    """A staff member's "build a release now": the release built, or None when a build of the
    dataset is already under way (a second click builds nothing more)."""
    agent = require(agent, "opendata.publish")
    dataset = dataset_of(v, dataset_id)
    if dataset.rules is None:
        raise Conflict(
            f"dataset {dataset_id!r} cannot be released before the ethics committee approves its rules"
        )
    with build_lock(v, dataset_id) as held:
        return do_release(v, agent, dataset_id, trigger="demand") if held else None


def do_release_due(v: Vigie) -> list[ReleaseRow]:
    """Release every approved dataset whose update frequency says a new release is due."""
    now = utcnow()
    out = []
    with v.db.session() as s:
        rows = s.execute(
            select(DatasetRow.id, DatasetRow.metadata_).where(DatasetRow.rules.is_not(None))
        ).all()
        last = dict(
            s.execute(
                select(ReleaseRow.dataset_id, func.max(ReleaseRow.created_at))
                .where(ReleaseRow.status == "published")
                .group_by(ReleaseRow.dataset_id)
            ).all()
        )
    for dataset_id, metadata in rows:
        days = FREQUENCIES.get(metadata.get("frequency") or "IRREG")
        if days is None:
            continue
        previous = last.get(dataset_id)
        if previous is None or now - previous >= timedelta(days=days):
            try:
                with build_lock(v, dataset_id) as held:
                    if held:  # else a staff member's build of it is under way
                        out.append(do_release(v, SYSTEM, dataset_id, trigger="schedule"))
            except (ValidationFailed, Conflict, NotFound) as exc:
                log.warning("scheduled release of %s not built: %s", dataset_id, exc.message)
    return out


def _changelog(s: Any, dataset_id: str, table: pa.Table, last: int, notes: list[str]) -> str:
    prev = s.execute(
        select(ReleaseRow.rows, ReleaseRow.columns, ReleaseRow.rules_version)
        .where(ReleaseRow.dataset_id == dataset_id, ReleaseRow.version == last)
        .limit(1)
    ).first()
    if prev is None:
        return " ".join([f"First release: {table.num_rows} rows.", *notes])
    delta = table.num_rows - prev.rows
    parts = [f"{table.num_rows} rows ({delta:+d} since version {last})"]
    before = {c["name"] for c in prev.columns}
    now = set(table.column_names)
    if now - before:
        parts.append("new column(s): " + ", ".join(sorted(now - before)))
    if before - now:
        parts.append("column(s) removed: " + ", ".join(sorted(before - now)))
    return " ".join(["; ".join(parts) + ".", *notes])


def _schema_json(schema: pa.Schema) -> list[dict[str, Any]]:
    return [{"name": f.name, "type": str(f.type)} for f in schema]


def _salt(v: Vigie, dataset_id: str) -> int:
    digest = hashlib.sha256(f"{v.settings.secret_key}:{dataset_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")
