"""Winter service use cases: plan levels and proposals, circuits, coverage, conditions, salt.

Each ``do_…`` checks the permission, writes in one transaction (with its audit
row) and publishes its events after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.changes import Logged
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie
from vigie.winter.circuits import (
    CircuitDraft as CircuitDraft,
)
from vigie.winter.circuits import (
    assign_round_robin as assign_round_robin,
)
from vigie.winter.circuits import (
    check_circuit as check_circuit,
)
from vigie.winter.circuits import (
    circuits_from_gtfs as circuits_from_gtfs,
)
from vigie.winter.circuits import (
    coverage_summary as coverage_summary,
)
from vigie.winter.circuits import (
    do_assign_circuit as do_assign_circuit,
)
from vigie.winter.circuits import (
    do_create_circuits as do_create_circuits,
)
from vigie.winter.circuits import (
    list_circuits as list_circuits,
)
from vigie.winter.circuits import (
    round_start as round_start,
)
from vigie.winter.domain import (
    CONDITION_NAMES,
    LEVEL_NAMES,
    PROPOSING_RULES,
    Condition,
    PlanLevel,
    Tier,
    parse_enum,
    raises,
)
from vigie.winter.storage import (
    ConditionRow,
    PlanLevelRow,
    ProposalRow,
    SaltRow,
)

MAX_NOTE = 2000


def _note(text: str, field_name: str = "reason") -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed(f"{field_name} is longer than {MAX_NOTE} characters", field=field_name)
    return text


def _event(type_: str, payload: dict[str, Any], public: bool = False) -> DomainEvent:
    return DomainEvent(
        type=type_,
        report_ids=(),
        public=public,
        payload={"kind": "winter", **payload},
        agent={"kind": "winter", **payload},
    )


# --- plan levels -------------------------------------------------------------------


def _current(s: Session) -> PlanLevelRow | None:
    return s.scalars(select(PlanLevelRow).order_by(PlanLevelRow.id.desc()).limit(1)).first()


def current_level(v: Vigie) -> dict[str, Any]:
    """The plan's level now (``veille`` until someone sets one), since when, and the round."""
    with v.db.session() as s:
        row = _current(s)
        start = round_start(s)
    if row is None:
        return {"level": PlanLevel.VEILLE.value, "since": None, "reason": "", "round_started": None}
    return {"level": row.level, "since": row.at, "reason": row.reason, "round_started": start}


def _set_level(
    v: Vigie, s: Session, agent: Agent, level: PlanLevel, reason: str, proposal_id: int | None = None
) -> PlanLevelRow:
    row = PlanLevelRow(
        level=level.value,
        reason=reason,
        proposal_id=proposal_id,
        set_by=None if agent.is_system else agent.id,
        at=utcnow(),
    )
    s.add(row)
    s.flush()
    do_audit(s, agent, "winter.level", "winter_plan", str(row.id), {"level": level.value, "reason": reason})
    fr, en = LEVEL_NAMES[level]
    tail = f" — {reason}" if reason else ""
    _log(
        v,
        s,
        agent,
        "winter.level",
        f"Plan hivernal : niveau {fr}{tail}",
        f"Winter plan: level {en}{tail}",
        f"plan:{row.id}",
        "urgent" if level == PlanLevel.INTERVENTION else "notable",
        {"level": level.value, "proposal_id": proposal_id},
    )
    return row


def _log(
    v: Vigie,
    s: Session,
    agent: Agent | None,
    kind: str,
    fr: str,
    en: str,
    ref: str,
    severity: str = "info",
    detail: dict[str, Any] | None = None,
) -> None:
    """An entry of the operations log, written with the change (same transaction)."""
    human = agent is not None and not agent.is_system
    v.messages.stage(
        s,
        Logged(
            service="winter",
            kind=kind,
            text_fr=fr,
            text_en=en,
            actor=agent.label if human and agent else "",
            actor_id=agent.id if human and agent else None,
            ref=ref,
            severity=severity,
            detail=detail or {},
        ),
    )


def do_set_level(v: Vigie, agent: Agent | None, level: str, reason: str = "") -> dict[str, Any]:
    agent = require(agent, "winter.manage")
    lvl = parse_enum(PlanLevel, level, "level")
    reason = _note(reason)
    with v.db.session(write=True) as s:
        cur = _current(s)
        if cur is not None and cur.level == lvl.value:  # a retry, or two operators at once
            return {"id": cur.id, "level": cur.level, "since": cur.at, "reason": cur.reason}
        row = _set_level(v, s, agent, PlanLevel(lvl), reason)
        s.commit()
        out = {"id": row.id, "level": row.level, "since": row.at, "reason": row.reason}
    v.messages.publish([_event("winter.level", {"level": out["level"], "reason": reason})])
    return out


def propose_from_alarms(v: Vigie, events: list[DomainEvent]) -> None:
    """Subscriber of the live events: a road weather station's ice alarm proposes a level.

    Only a level above the current one is proposed, once per alarm (``alarm_id`` is
    unique); an operator accepts or dismisses it.
    """
    wanted = [e for e in events if e.type == "alarm.raised" and e.payload.get("type") in PROPOSING_RULES]
    if not wanted:
        return
    made = []
    with v.db.session(write=True) as s:
        cur = _current(s)
        current = PlanLevel(cur.level) if cur else PlanLevel.VEILLE
        for e in wanted:
            level = PROPOSING_RULES[e.payload["type"]]
            if not raises(current, level):
                continue
            alarm_id = int(e.payload["alarm_id"])
            if s.scalar(select(ProposalRow.id).where(ProposalRow.alarm_id == alarm_id)) is not None:
                continue
            row = ProposalRow(
                level=level.value,
                rule=e.payload["type"],
                alarm_id=alarm_id,
                station_id=str(e.payload.get("asset_id", ""))[:64],
                title=str(e.agent.get("title", ""))[:200],
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            made.append({"proposal_id": row.id, "level": row.level, "station_id": row.station_id})
            fr, en = LEVEL_NAMES[level]
            _log(
                v,
                s,
                None,
                "winter.proposal",
                f"Niveau {fr} proposé par {row.station_id} ({row.title})",
                f"Level {en} proposed by {row.station_id} ({row.title})",
                f"proposal:{row.id}",
                "notable",
                {"alarm_id": alarm_id, "level": level.value},
            )
        s.commit()
    if made:
        v.messages.publish([_event("winter.proposal", m) for m in made])


def open_proposals(v: Vigie) -> list[dict[str, Any]]:
    with v.db.session() as s:
        rows = s.scalars(select(ProposalRow).where(ProposalRow.decision.is_(None)).order_by(ProposalRow.id))
        return [_proposal_view(r) for r in rows]


def _proposal_view(r: ProposalRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "level": r.level,
        "rule": r.rule,
        "alarm_id": r.alarm_id,
        "station_id": r.station_id,
        "title": r.title,
        "created_at": r.created_at,
        "decision": r.decision,
        "decided_at": r.decided_at,
    }


def do_decide_proposal(v: Vigie, agent: Agent | None, proposal_id: int, accept: bool) -> dict[str, Any]:
    """Accept (the plan takes the proposed level, if still higher) or dismiss a proposal."""
    agent = require(agent, "winter.manage")
    events = []
    with v.db.session(write=True) as s:
        row = s.get(ProposalRow, proposal_id)
        if row is None:
            raise NotFound(f"no winter plan proposal {proposal_id}")
        if row.decision is not None:
            raise Conflict(f"proposal {proposal_id} was already {row.decision}")
        row.decision = "accepted" if accept else "dismissed"
        row.decided_by = None if agent.is_system else agent.id
        row.decided_at = utcnow()
        do_audit(
            s, agent, f"winter.proposal.{row.decision}", "winter_proposal", str(row.id), {"level": row.level}
        )
        fr, en = LEVEL_NAMES[PlanLevel(row.level)]
        verdict = ("acceptée", "accepted") if accept else ("écartée", "dismissed")
        _log(
            v,
            s,
            agent,
            f"winter.proposal.{row.decision}",
            f"Proposition de niveau {fr} {verdict[0]}",
            f"Proposed level {en} {verdict[1]}",
            f"proposal:{row.id}",
        )
        cur = _current(s)
        if accept and raises(PlanLevel(cur.level) if cur else None, PlanLevel(row.level)):
            reason = f"{row.title} ({row.station_id})"
            _set_level(v, s, agent, PlanLevel(row.level), reason, proposal_id=row.id)
            events.append(_event("winter.level", {"level": row.level, "reason": reason}))
        s.commit()
        out = _proposal_view(row)
    v.messages.publish(
        [_event("winter.proposal", {"proposal_id": out["id"], "decision": out["decision"]}), *events]
    )
    return out


def level_history(v: Vigie, limit: int = 50) -> list[dict[str, Any]]:
    with v.db.session() as s:
        rows = s.scalars(select(PlanLevelRow).order_by(PlanLevelRow.id.desc()).limit(limit))
        return [
            {"level": r.level, "at": r.at, "reason": r.reason, "proposal_id": r.proposal_id} for r in rows
        ]


# --- driving conditions --------------------------------------------------------------


def do_declare_conditions(
    v: Vigie, agent: Agent | None, tier: str, condition: str, note: str = ""
) -> dict[str, Any]:
    agent = require(agent, "winter.manage")
    t = parse_enum(Tier, tier, "tier")
    c = parse_enum(Condition, condition, "condition")
    note = _note(note, "note")
    with v.db.session(write=True) as s:
        row = ConditionRow(
            tier=t.value,
            condition=c.value,
            note=note,
            declared_by=None if agent.is_system else agent.id,
            at=utcnow(),
        )
        s.add(row)
        s.flush()
        do_audit(s, agent, "winter.conditions", "winter_conditions", t.value, {"condition": c.value})
        fr_c, en_c = CONDITION_NAMES[Condition(c.value)]
        _log(
            v,
            s,
            agent,
            "winter.conditions",
            f"Conditions de circulation {t.value} : {c.value} ({fr_c.lower()})",
            f"Driving conditions {t.value}: {c.value} ({en_c.lower()})",
            f"conditions:{row.id}",
            "notable" if c.value in ("C3", "C4") else "info",
        )
        s.commit()
        out = {"tier": row.tier, "condition": row.condition, "note": row.note, "at": row.at}
    # Residents see conditions live on the public map.
    v.messages.publish(
        [_event("winter.conditions", {"tier": out["tier"], "condition": out["condition"]}, public=True)]
    )
    return out


def published_conditions(v: Vigie) -> list[dict[str, Any]]:
    """The latest declaration per tier: what residents are told (no one's name)."""
    with v.db.session() as s:
        latest = (
            select(ConditionRow.tier, func.max(ConditionRow.id).label("id"))
            .group_by(ConditionRow.tier)
            .subquery()
        )
        rows = s.scalars(select(ConditionRow).join(latest, ConditionRow.id == latest.c.id))
        by_tier = {r.tier: r for r in rows}
    return [
        {
            "tier": t.value,
            "condition": by_tier[t.value].condition,
            "note": by_tier[t.value].note,
            "at": by_tier[t.value].at,
        }
        for t in Tier
        if t.value in by_tier
    ]


# --- salt --------------------------------------------------------------------------


def do_record_salt(v: Vigie, agent: Agent | None, kind: str, tonnes: float, note: str = "") -> dict[str, Any]:
    """A delivery (tonnes added) or a stock count (the stock is then ``tonnes``)."""
    agent = require(agent, "winter.manage")
    if kind not in ("delivery", "count"):
        raise ValidationFailed("kind must be delivery or count", field="kind")
    if not isinstance(tonnes, int | float) or isinstance(tonnes, bool) or not 0 <= tonnes <= 1_000_000:
        raise ValidationFailed("tonnes must be a number between 0 and 1,000,000", field="tonnes")
    with v.db.session(write=True) as s:
        row = SaltRow(
            kind=kind,
            tonnes=float(tonnes),
            vehicle_id=None,
            note=_note(note, "note"),
            recorded_by=None if agent.is_system else agent.id,
            at=utcnow(),
        )
        s.add(row)
        s.flush()
        do_audit(s, agent, f"winter.salt.{kind}", "winter_salt", str(row.id), {"tonnes": tonnes})
        s.commit()
    return salt_stock(v)


def salt_stock(v: Vigie, since: datetime | None = None) -> dict[str, Any]:
    """Stock = the last count + what came and went since; spread per vehicle since ``since``."""
    with v.db.session() as s:
        last_count = s.scalars(
            select(SaltRow).where(SaltRow.kind == "count").order_by(SaltRow.id.desc()).limit(1)
        ).first()
        moves = select(func.coalesce(func.sum(SaltRow.tonnes), 0.0)).where(SaltRow.kind != "count")
        if last_count is not None:
            moves = moves.where(SaltRow.id > last_count.id)
        stock = (last_count.tonnes if last_count else 0.0) + float(s.scalar(moves) or 0.0)
        spread_q = select(SaltRow.vehicle_id, func.sum(SaltRow.tonnes)).where(SaltRow.kind == "spread")
        if since is not None:
            spread_q = spread_q.where(SaltRow.at >= since)
        spread = {vid: round(-t, 3) for vid, t in s.execute(spread_q.group_by(SaltRow.vehicle_id))}
    return {
        "stock_tonnes": round(stock, 3),
        "spread_tonnes": round(sum(spread.values()), 3),
        "spread_by_vehicle": spread,
        "counted_at": last_count.at if last_count else None,
    }
