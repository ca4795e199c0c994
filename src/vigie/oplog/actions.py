"""Use cases of the operations log: record what the services say, write, correct, read.

The services never call this module: they stage a :class:`~vigie.events.changes.Logged`
in the transaction of their change, and :func:`record_logged` (subscribed in
``bootstrap.py``) writes the entry in that same transaction. Operators write
their own entries with :func:`do_write` and put one right with :func:`do_correct`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session

from vigie import csvsafe
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import PERMISSIONS, require
from vigie.db import utcnow
from vigie.errors import NotFound, ValidationFailed
from vigie.events.changes import Logged
from vigie.events.domain import DomainEvent
from vigie.oplog import domain
from vigie.oplog.storage import OplogEntryRow
from vigie.runtime import Vigie

SUMMARY_MAX_ENTRIES = 20_000
LIVE_EVENT = "oplog.entry"
SPAN_MAX = timedelta(days=31)


def _row(event: Logged, now: datetime) -> OplogEntryRow:
    if event.visible_to not in PERMISSIONS:
        raise KeyError(f"unknown permission {event.visible_to!r} for an oplog entry")
    domain.check_service(event.service)
    domain.check_severity(event.severity)
    actor = event.actor or "Vigie (automatique)"
    return OplogEntryRow(
        at=event.at or now,
        service=event.service,
        kind=event.kind[: domain.KIND_MAX],
        severity=event.severity,
        text=event.text_fr[: domain.TEXT_MAX],
        text_en=event.text_en[: domain.TEXT_MAX],
        search=domain.search_text(event.text_fr, event.text_en, actor, event.ref),
        actor=actor[:200],
        actor_id=event.actor_id,
        ref=event.ref[: domain.REF_MAX],
        visible_to=event.visible_to,
        detail=dict(event.detail),
    )


# What a live event carries of an entry's texts: a NOTIFY holds less than 8,000 bytes; a
# client that gets `truncated` reads the entry from /api/v1/oplog/{id}.
LIVE_TEXT_MAX = 600


def entry_event(row: OplogEntryRow) -> DomainEvent:
    """The live event of a new entry (agents' stream /api/v1/events/oplog only).

    ``payload`` names what the stream filters on (who may read it); the view is in ``agent``.
    """
    view = entry_view(row)
    long = any(len(view[k] or "") > LIVE_TEXT_MAX for k in ("text", "text_en"))
    for k in ("text", "text_en"):
        view[k] = (view[k] or "")[:LIVE_TEXT_MAX]
    view.pop("detail", None)
    if long:
        view["truncated"] = True
    return DomainEvent(
        type=LIVE_EVENT,
        report_ids=(),
        public=False,
        payload={"kind": "oplog", "id": row.id, "visible_to": row.visible_to},
        agent=view,
    )


def record_logged(v: Vigie, s: Session, event: Logged) -> None:
    """In-transaction subscriber: the entry commits (or rolls back) with the change it records,
    and reaches the live log once committed."""
    row = _row(event, utcnow())
    s.add(row)
    v.messages.publish_on_commit(s, lambda: _committed([row]))


def _committed(rows: list[OplogEntryRow]) -> list[DomainEvent]:
    # A row rolled back with a savepoint (SQLite's group commit replays units) is no longer
    # persistent: it was never logged.
    return [entry_event(r) for r in rows if r.id is not None and inspect(r).persistent]


def do_write(
    v: Vigie, agent: Agent | None, service: str, text: str, severity: str = "info"
) -> dict[str, Any]:
    """An operator's own entry (kind ``note``)."""
    agent = require(agent, "oplog.write")
    event = Logged(
        service=domain.check_service(service),
        kind=domain.MANUAL,
        text_fr=domain.check_text(text),
        actor=agent.label,
        actor_id=agent.id or None,
        severity=domain.check_severity(severity),
    )
    with v.db.session(write=True) as s:
        row = _row(event, utcnow())
        s.add(row)
        s.commit()
    v.messages.publish([entry_event(row)])
    return entry_view(row)


def do_correct(v: Vigie, agent: Agent | None, entry_id: int, text: str) -> dict[str, Any]:
    """A correction: a new entry that references ``entry_id`` (which stays as it was)."""
    agent = require(agent, "oplog.write")
    text = domain.check_text(text)
    with v.db.session(write=True) as s:
        old = s.get(OplogEntryRow, entry_id)
        if old is None or not agent.can(old.visible_to):
            raise NotFound(f"no operations log entry with id {entry_id}")
        row = _row(
            Logged(
                service=old.service,
                kind=domain.CORRECTION,
                text_fr=text,
                actor=agent.label,
                actor_id=agent.id or None,
                ref=f"oplog:{old.id}",
                severity=old.severity,
                visible_to=old.visible_to,
                detail={"corrects": old.id},
            ),
            utcnow(),
        )
        row.corrects_id = old.id
        s.add(row)
        s.commit()
    v.messages.publish([entry_event(row)])
    return entry_view(row)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OplogFilter:
    services: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    q: str = ""
    start: datetime | None = None
    end: datetime | None = None
    ref: str = ""

    def check(self) -> OplogFilter:
        for s in self.services:
            domain.check_service(s)
        for s in self.severities:
            domain.check_severity(s)
        if self.start and self.end and self.end <= self.start:
            raise ValidationFailed("the end must be after the start", field="end")
        if len(self.q) > 200:
            raise ValidationFailed("a search has at most 200 characters", field="q")
        return self


def readable(agent: Agent) -> list[str]:
    """The visibilities (permissions) whose entries ``agent`` may read."""
    return [code for code in PERMISSIONS if agent.can(code)]


def _query(agent: Agent, f: OplogFilter) -> Select[Any]:
    q = select(OplogEntryRow).where(OplogEntryRow.visible_to.in_(readable(agent)))
    if f.services:
        q = q.where(OplogEntryRow.service.in_(f.services))
    if f.kinds:
        q = q.where(OplogEntryRow.kind.in_(f.kinds))
    if f.severities:
        q = q.where(OplogEntryRow.severity.in_(f.severities))
    if f.start:
        q = q.where(OplogEntryRow.at >= f.start)
    if f.end:
        q = q.where(OplogEntryRow.at < f.end)
    if f.ref:
        q = q.where(OplogEntryRow.ref == f.ref)
    for word in domain.fold(f.q).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(OplogEntryRow.search.like(f"%{escaped}%", escape="\\"))
    return q


def entry_view(row: OplogEntryRow, corrected_by: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "service": row.service,
        "kind": row.kind,
        "severity": row.severity,
        "text": row.text,
        "text_en": row.text_en,
        "actor": row.actor,
        "ref": row.ref,
        "corrects_id": row.corrects_id,
        "corrected_by": corrected_by or [],
        "detail": row.detail,
    }


def _corrections(s: Session, agent: Agent, ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if not ids:
        return out
    q = select(OplogEntryRow.corrects_id, OplogEntryRow.id).where(
        OplogEntryRow.corrects_id.in_(ids), OplogEntryRow.visible_to.in_(readable(agent))
    )
    for old, new in s.execute(q.order_by(OplogEntryRow.id)):
        if old is not None:  # always, by the WHERE clause
            out.setdefault(old, []).append(new)
    return out


def list_entries(
    v: Vigie, agent: Agent | None, f: OplogFilter, page: int = 1, page_size: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """One page of the timeline, newest first, and how many entries the filter matches."""
    agent = require(agent, "oplog.read")
    f = f.check()
    q = _query(agent, f)
    with v.db.session() as s:
        total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
        rows = list(
            s.scalars(
                q.order_by(OplogEntryRow.at.desc(), OplogEntryRow.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        fixes = _corrections(s, agent, [r.id for r in rows])
        return [entry_view(r, fixes.get(r.id)) for r in rows], total


def get_entry(v: Vigie, agent: Agent | None, entry_id: int) -> dict[str, Any]:
    agent = require(agent, "oplog.read")
    with v.db.session() as s:
        row = s.get(OplogEntryRow, entry_id)
        if row is None or not agent.can(row.visible_to):
            raise NotFound(f"no operations log entry with id {entry_id}")
        return entry_view(row, _corrections(s, agent, [row.id]).get(row.id))


CSV_COLUMNS = ("id", "at", "service", "kind", "severity", "actor", "text", "ref", "corrects_id")


def export_csv(v: Vigie, agent: Agent | None, f: OplogFilter, lang: str = "fr") -> Iterator[str]:
    """The filtered timeline as CSV (oldest first, local times), read in chunks."""
    agent = require(agent, "oplog.read")
    f = f.check()
    tz = v.city.timezone
    q = _query(agent, f).order_by(OplogEntryRow.at, OplogEntryRow.id)
    buf = io.StringIO()
    out = csvsafe.writer(buf)
    out.writerow(CSV_COLUMNS)
    yield buf.getvalue()
    with v.db.session() as s:
        for part in s.scalars(q.execution_options(yield_per=1000)).partitions():
            buf.seek(0)
            buf.truncate()
            for r in part:
                text = r.text_en if lang == "en" and r.text_en else r.text
                out.writerow(
                    (
                        r.id,
                        r.at.astimezone(tz).isoformat(),
                        r.service,
                        r.kind,
                        r.severity,
                        r.actor,
                        text,
                        r.ref,
                        r.corrects_id or "",
                    )
                )
            yield buf.getvalue()


def shift_summary(
    v: Vigie, agent: Agent | None, start: datetime | None = None, end: datetime | None = None
) -> domain.Summary:
    """The end-of-shift summary of what ``agent`` may read; by default the shift under way."""
    agent = require(agent, "oplog.read")
    if start is None or end is None:
        starts = domain.parse_shift_starts(v.settings.oplog_shift_starts)
        start, end = domain.shift_around(start or end or utcnow(), starts, v.city.timezone)
    if end <= start:
        raise ValidationFailed("the end must be after the start", field="end")
    if end - start > SPAN_MAX:
        raise ValidationFailed("a summary covers at most 31 days", field="end")
    q = _query(agent, OplogFilter(start=start, end=end)).order_by(OplogEntryRow.at, OplogEntryRow.id)
    with v.db.session() as s:
        rows = list(s.scalars(q.limit(SUMMARY_MAX_ENTRIES)))
        entries = [entry_view(r) for r in rows]
    return domain.summarise(start, end, entries)


__all__ = [
    "OplogFilter",
    "do_correct",
    "do_write",
    "entry_event",
    "export_csv",
    "get_entry",
    "list_entries",
    "record_logged",
    "shift_summary",
]
