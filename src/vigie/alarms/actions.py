"""Use cases of the alarms context.

``apply_ops`` writes what the rule engine decided (raise, repeat, clear) in one
transaction and publishes ``alarm.*`` events after commit. Agents acknowledge,
assign, comment; supervisors (or the platform) clear. Alarms and residents'
reports meet here: an alarm on a light links open lighting reports nearby, a
new report near a failed light is linked to its alarm, and when the alarm
clears the linked reports are resolved and their reporters told.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import SYSTEM, Agent
from vigie.accounts.permissions import require
from vigie.accounts.storage import UserRow
from vigie.alarms.links import (
    link_alarm_to_reports,
    linked_reports_changed,
    links_of,
    report_link_specs,
    resolve_linked,
)
from vigie.alarms.queries import alarm_view, check_sees
from vigie.alarms.rules import Rule, load_rules, rules_path
from vigie.alarms.storage import AlarmEventRow, AlarmRow
from vigie.db import utcnow
from vigie.errors import ConfigurationError, Conflict, NotFound, ValidationFailed
from vigie.events.changes import Logged, ReportCreated
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie
from vigie.telemetry.schema import CAMERA, kind_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vigie.alarms.engine import Op

log = logging.getLogger(__name__)


# --- rules --------------------------------------------------------------------


def get_rules(v: Vigie) -> list[Rule]:
    """The rules in force (loaded once per platform; invalid files raise ConfigurationError)."""
    rules = v.caches.alarm_rules
    if rules is None:
        path = rules_path(v.city.id, v.settings.alarm_rules)
        rules = v.caches.alarm_rules = load_rules(path, v.catalogue.services.keys()) if path else []
    return rules


def heartbeat_silences(v: Vigie) -> dict[str, float]:
    """Telemetry kind -> seconds without a message after which an asset is offline.

    The heartbeat alarm rules in force ("Street light not reporting": 60 min…),
    so that the equipment map and the alarms agree; kinds without one never go
    offline this way.
    """
    try:
        rules = get_rules(v)
    except Exception:  # an invalid rules file is reported by the alarms context itself
        return {}
    out: dict[str, float] = {}
    for rule in rules:
        if rule.kind == "heartbeat" and rule.heartbeat is not None:
            for kind in rule.asset_kinds:
                out[kind] = min(out.get(kind, float("inf")), rule.heartbeat.total_seconds())
    return out


def set_rules(v: Vigie, rules: list[Rule]) -> None:
    v.caches.alarm_rules = rules


# --- events -------------------------------------------------------------------


def alarm_event(type_: str, row: AlarmRow, report_ids: list[int], change: str) -> DomainEvent:
    return _snapshot_event(type_, alarm_view(row), report_ids, change)


def _snapshot_event(type_: str, view: dict[str, Any], report_ids: list[int], change: str) -> DomainEvent:
    # ``payload`` may reach the tracking page of a linked report: nothing personal in it.
    payload = {
        "kind": "alarm",
        "alarm_id": view["id"],
        "type": view["type"],
        "state": view["state"],
        "asset_id": view["asset_id"],
        "change": change,
    }
    return DomainEvent(
        type=type_,
        report_ids=tuple(report_ids),
        public=False,
        payload=payload,
        agent={**view, "report_ids": report_ids},
    )


# --- from the rule engine -------------------------------------------------------


def apply_ops(v: Vigie, ops: list[Op]) -> Callable[[], None] | None:
    """Write the engine's decisions; returns the follow-up to run after commit, if any."""
    now = utcnow()
    lang = v.city.default_language
    # (alarm id, event type, change, view at that moment), in order
    changed: list[tuple[int, str, str, dict[str, Any]]] = []
    touched: set[int] = set()
    cleared: list[int] = []
    repeats: dict[str, list[Any]] = {}  # active key -> [count, last_seen, detail]
    linked_reports: list[int] = []
    with v.db.session(write=True) as s:
        keys = sorted({f"{op.asset.id}|{op.rule.id}" for op in ops})
        rows: dict[str, AlarmRow | None] = dict.fromkeys(keys)
        for i in range(0, len(keys), 500):
            q = select(AlarmRow).where(AlarmRow.active_key.in_(keys[i : i + 500]))
            for found in s.scalars(q):
                rows[found.active_key or ""] = found
        row: AlarmRow | None
        for op in ops:
            key = f"{op.asset.id}|{op.rule.id}"
            row = rows.get(key)
            if op.kind == "raise" and row is None:
                row = _new_alarm(v, op, now, lang)
                s.add(row)
                s.flush()
                rows[key] = row
                s.add(_history(row, "raised", SYSTEM, detail=op.detail, at=now))
                _log(v, s, row, "raised", SYSTEM)
                if op.rule.link is not None:
                    linked_reports.extend(link_alarm_to_reports(v, s, row, op.rule.link, now))
                changed.append((row.id, "alarm.raised", "raised", alarm_view(row)))
                touched.add(row.id)
            elif op.kind in ("raise", "repeat") and row is not None:
                rep = repeats.setdefault(key, [0, op.at, {}])
                rep[0] += op.count
                rep[1] = max(rep[1], op.at)
                rep[2] = op.detail
            elif op.kind == "clear" and row is not None:
                _apply_repeat(row, repeats.pop(key, None), now)
                _clear(row, SYSTEM, now)
                s.add(_history(row, "cleared", SYSTEM, detail=op.detail, at=now))
                _log(v, s, row, "cleared", SYSTEM)
                rows[key] = None
                cleared.append(row.id)
                changed.append((row.id, "alarm.cleared", "cleared", alarm_view(row)))
                touched.add(row.id)
        for key, rep in repeats.items():
            row = rows.get(key)
            if row is not None:
                _apply_repeat(row, rep, now)
                if row.id not in touched:
                    changed.append((row.id, "alarm.updated", "repeated", alarm_view(row)))
        s.commit()
        links = links_of(s, sorted({c[0] for c in changed}))
        reports_changed = linked_reports_changed(v, s, linked_reports)
    v.messages.publish(
        [_snapshot_event(t, view, links.get(aid, []), change) for aid, t, change, view in changed]
        + reports_changed
    )
    if not cleared:
        return None

    def after() -> None:
        resolve_linked(v, cleared)

    return after


def _new_alarm(v: Vigie, op: Op, now: datetime, lang: str) -> AlarmRow:
    rule, asset = op.rule, op.asset
    details = dict(op.detail)
    if rule.scope == "zone" and asset.zone:
        zone = v.city.zones.by_code.get(asset.zone)
        details["area"] = zone.name if zone else asset.zone
    return AlarmRow(
        asset_id=asset.id,
        asset_type=asset.type[:32],
        zone=asset.zone,
        lat=asset.lat,
        long=asset.long,
        type=rule.id,
        severity=rule.severity,
        state="active_unacknowledged",
        active=True,
        active_key=f"{asset.id}|{rule.id}",
        title=rule.label(lang)[:200],
        details=details,
        count=1,
        first_seen=op.at,
        last_seen=op.at,
        escalate_at=now + rule.escalate_after if rule.escalate_after else None,
        updated_at=now,
    )


def _apply_repeat(row: AlarmRow, rep: list[Any] | None, now: datetime) -> None:
    if not rep:
        return
    row.count += rep[0]
    if rep[1] > row.last_seen:
        row.last_seen = rep[1]
    if rep[2]:
        row.details = {**(row.details or {}), **rep[2]}
    row.updated_at = now


def _clear(row: AlarmRow, agent: Agent, now: datetime) -> None:
    acked = row.state.endswith("_acknowledged")
    row.state = "cleared_acknowledged" if acked else "cleared_unacknowledged"
    row.active = False
    row.active_key = None
    row.cleared_at = now
    row.cleared_by = agent.label
    row.updated_at = now


def _history(
    row: AlarmRow,
    kind: str,
    agent: Agent,
    note: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AlarmEventRow:
    return AlarmEventRow(
        alarm_id=row.id,
        kind=kind,
        actor_user_id=None if agent.is_system else agent.id,
        actor_label=agent.label,
        note=note,
        detail=detail or {},
        at=at or utcnow(),
    )


# --- the operations log -------------------------------------------------------------

# Which service of the control centre an alarm belongs to, by the telemetry kind of its asset.
_SERVICE_OF_KIND = {
    "streetlight": "lighting",
    "cabinet": "lighting",
    "camera": "video",
    "traffic_controller": "traffic",
    "traffic_detector": "traffic",
    "weather_station": "winter",
    "vehicle": "winter",
}
_CHANGES = {
    "raised": ("déclenchée", "raised"),
    "cleared": ("levée", "cleared"),
    "acknowledged": ("prise en compte", "acknowledged"),
    "assigned": ("affectée", "assigned"),
    "comment": ("commentée", "commented"),
    "escalated": ("non prise en compte à temps : signalée au superviseur", "escalated to the supervisor"),
}
_URGENCY = {"critical": "urgent", "major": "notable"}


def _log(v: Vigie, s: Session, row: AlarmRow, change: str, agent: Agent, note: str = "") -> None:
    """Stage the change's entry of the operations log (it commits with the change)."""
    kind = kind_of(row.asset_type, row.asset_id) or ""
    fr, en = _CHANGES.get(change, (change, change))
    tail = f" — {note}" if note else ""
    v.messages.stage(
        s,
        Logged(
            service=_SERVICE_OF_KIND.get(kind, "control"),
            kind=f"alarm.{change}",
            text_fr=f"Alarme « {row.title} » sur {row.asset_id} {fr}{tail}",
            text_en=f'Alarm "{row.title}" on {row.asset_id} {en}{tail}',
            actor="" if agent.is_system else agent.label,
            actor_id=None if agent.is_system else agent.id,
            ref=f"alarm:{row.id}",
            severity=_URGENCY.get(row.severity, "info") if change in ("raised", "escalated") else "info",
            # A camera's alarm names a camera: for the video-protection roles only.
            visible_to="video.cameras" if kind == CAMERA else "oplog.read",
            detail={"alarm_id": row.id, "asset_id": row.asset_id, "type": row.type, "severity": row.severity},
        ),
    )


# --- agents ---------------------------------------------------------------------


def _note(text: str | None, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed("a comment needs some text", field="note")
    if len(text) > 4000:
        raise ValidationFailed("note is longer than 4000 characters", field="note")
    return text


def _mutate(
    v: Vigie,
    alarm_id: int,
    agent: Agent,
    kind: str,
    fn: Callable[[Session, AlarmRow], dict[str, Any]],
    note: str = "",
    event_type: str = "alarm.updated",
) -> AlarmRow:
    now = utcnow()
    with v.db.session(write=True) as s:
        row = s.get(AlarmRow, alarm_id)
        if row is None:
            raise NotFound(f"no alarm with id {alarm_id}")
        if not agent.is_system:
            check_sees(agent, row)
        detail = fn(s, row)
        row.updated_at = now
        s.add(_history(row, kind, agent, note, detail, now))
        _log(v, s, row, kind, agent, note)
        do_audit(s, agent, f"alarm.{kind}", "alarm", str(row.id), detail)
        s.commit()
        links = links_of(s, [row.id]).get(row.id, [])
    v.messages.publish([alarm_event(event_type, row, links, kind)])
    return row


def do_acknowledge(v: Vigie, alarm_id: int, agent: Agent | None, note: str = "") -> AlarmRow:
    agent = require(agent, "alarms.handle")
    note = _note(note)

    def apply(s: Session, row: AlarmRow) -> dict[str, Any]:
        if row.state.endswith("_acknowledged"):
            raise Conflict("this alarm is already acknowledged", field="state")
        row.state = "active_acknowledged" if row.active else "cleared_acknowledged"
        row.acknowledged_at = utcnow()
        row.acknowledged_by = agent.label
        return {"state": row.state}

    return _mutate(v, alarm_id, agent, "acknowledged", apply, note)


def do_assign(v: Vigie, alarm_id: int, agent: Agent | None, user_id: int | None, note: str = "") -> AlarmRow:
    agent = require(agent, "alarms.handle")
    note = _note(note)

    def apply(s: Session, row: AlarmRow) -> dict[str, Any]:
        if user_id is None:
            row.assignee_user_id, row.assignee_label = None, ""
            return {"user_id": None}
        user = s.get(UserRow, user_id)
        if user is None or not user.active:
            raise ValidationFailed(f"no active agent with id {user_id}", field="user_id")
        row.assignee_user_id = user.id
        row.assignee_label = (user.name or user.email)[:120]
        return {"user_id": user.id, "assignee": row.assignee_label}

    return _mutate(v, alarm_id, agent, "assigned", apply, note)


def do_comment(v: Vigie, alarm_id: int, agent: Agent | None, note: str) -> AlarmRow:
    agent = require(agent, "alarms.handle")
    note = _note(note, required=True)
    return _mutate(v, alarm_id, agent, "comment", lambda s, row: {}, note)


def do_clear(v: Vigie, alarm_id: int, agent: Agent | None, note: str = "") -> AlarmRow:
    """Clear by hand: supervisors, administrators and the platform only."""
    agent = require(agent, "alarms.clear")
    note = _note(note)

    def apply(s: Session, row: AlarmRow) -> dict[str, Any]:
        if not row.active:
            raise Conflict("this alarm is already cleared", field="state")
        _clear(row, agent, utcnow())
        return {"state": row.state}

    row = _mutate(v, alarm_id, agent, "cleared", apply, note, event_type="alarm.cleared")
    pipeline = v.ingest.pipeline
    if pipeline is not None:
        pipeline.forget_alarm(row.asset_id, row.type)
    resolve_linked(v, [row.id])
    return row


def do_escalate_due(v: Vigie, now: datetime | None = None) -> int:
    """Flag active alarms nobody acknowledged within their rule's delay; returns how many."""
    now = now or utcnow()
    with v.db.session(write=True) as s:
        rows = list(
            s.scalars(
                select(AlarmRow)
                .where(
                    AlarmRow.active,
                    AlarmRow.escalated.is_(False),
                    AlarmRow.escalate_at <= now,
                    AlarmRow.state == "active_unacknowledged",
                )
                .limit(500)
            )
        )
        for row in rows:
            row.escalated = True
            row.escalated_at = now
            row.updated_at = now
            waited = int((now - row.first_seen).total_seconds() // 60)
            s.add(_history(row, "escalated", SYSTEM, "", {"to": "supervisor", "minutes": waited}, now))
            _log(v, s, row, "escalated", SYSTEM)
        s.commit()
        links = links_of(s, [r.id for r in rows])
    if rows:
        escalated = [alarm_event("alarm.escalated", r, links.get(r.id, []), "escalated") for r in rows]
        v.messages.publish(escalated)
    return len(rows)


# --- reports and assets ---------------------------------------------------------------


def on_report_created(
    v: Vigie, report_id: int, service_code: str | None = None, group: str | None = None
) -> list[int]:
    """Link a new report to active alarms on equipment nearby (call after commit).

    With the report's service given, reports no rule links (most of them) cost
    no database work. Never raises: a problem here must not fail a resident's report.
    """
    try:
        return _link_report(v, report_id, service_code, group)
    except Exception:
        log.exception("could not link report %s to alarms", report_id)
        return []


def link_new_reports(v: Vigie, events: Sequence[ReportCreated]) -> None:
    """Subscriber: a lighting report filed near a light in alarm is linked to it."""
    for event in events:
        on_report_created(v, event.report.id, event.report.service_code, event.report.service_group)


def _link_report(v: Vigie, report_id: int, service_code: str | None, group: str | None) -> list[int]:
    from vigie.alarms.links import link_report_to_alarms

    try:
        rules = get_rules(v)
    except ConfigurationError:
        return []
    specs = report_link_specs(rules)
    if not specs:
        return []
    if service_code is not None and not any(
        spec.matches(service_code, group or "") for spec in specs.values()
    ):
        return []
    now = utcnow()
    with v.db.session(write=True) as s:
        linked = link_report_to_alarms(v, s, report_id, specs, now)
        s.commit()
        rows = [s.get(AlarmRow, aid) for aid in linked]
        links = links_of(s, linked)
        reports_changed = linked_reports_changed(v, s, [report_id] if linked else [])
    v.messages.publish(
        [alarm_event("alarm.updated", r, links.get(r.id, []), "report_linked") for r in rows if r]
        + reports_changed
    )
    return linked


def on_asset_repaired(v: Vigie, asset_id: str, note: str = "") -> int:
    """The asset was repaired (field intervention closed): clear its active alarms.

    Linked reports are resolved and their reporters told. Returns alarms cleared.
    """
    with v.db.session() as s:
        ids = list(s.scalars(select(AlarmRow.id).where(AlarmRow.asset_id == asset_id, AlarmRow.active)))
    for alarm_id in ids:
        with contextlib.suppress(Conflict):
            do_clear(v, alarm_id, SYSTEM, note or "Équipement réparé")
    return len(ids)
