"""Each light point's dated lamp history: installations, conversions, relamps.

A change is an event of the point's life: on ``changed_on`` the point got a
lamp of ``lamp_technology`` and ``power_rating`` W (a conversion installs a new
luminaire head, so it also dates the luminaire for the night-lighting rules).
The registry's attributes keep today's state; the history says what the fleet
was on any past day (the lighting context's reference year and trajectory).

Recording a change writes the history row and, when it is the point's latest,
the point's attributes, in one transaction with an audit entry. A city's past
conversions come in as a CSV file (:func:`import_lamp_changes`): every line is
checked before anything is written, and a change already known (same point,
day and kind) is skipped, so an import run twice adds nothing.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.assets.storage import AssetRow, LampChangeRow
from vigie.assets.types import LAMP_TECHNOLOGIES
from vigie.db import utcnow
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.events.domain import DomainEvent
from vigie.runtime import Vigie

KINDS = ("installed", "conversion", "relamp")
SOURCES = ("agent", "import", "demo")
# Kinds that put a new luminaire head on the pole (the order of 2018 dates luminaires by it).
NEW_LUMINAIRE = ("installed", "conversion")
CSV_COLUMNS = (
    "asset_id",
    "changed_on",
    "kind",
    "lampTechnology",
    "powerRating",
    "colorTemperature",
    "upwardLightRatio",
    "note",
)
MAX_NOTE = 200


@dataclass(frozen=True)
class LampChange:
    asset_id: str
    changed_on: date
    kind: str
    lamp_technology: str
    power_rating: float | None = None
    color_temperature: float | None = None
    upward_light_ratio: float | None = None
    note: str = ""

    def row(self, source: str, now: Any) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "changed_on": self.changed_on,
            "kind": self.kind,
            "lamp_technology": self.lamp_technology,
            "power_rating": self.power_rating,
            "color_temperature": self.color_temperature,
            "upward_light_ratio": self.upward_light_ratio,
            "source": source,
            "note": self.note,
            "created_at": now,
        }


def _number(data: dict[str, Any], key: str, low: float, high: float) -> float | None:
    raw = data.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{key} is not a number: {str(raw)[:40]!r}", field=key) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationFailed(f"{key} is between {low:g} and {high:g}", field=key)
    return value


def check_lamp_change(data: dict[str, Any], today: date | None = None) -> LampChange:
    """A change from a request or a file line; a clear message names the bad field."""
    asset_id = str(data.get("asset_id") or "").strip()
    if not asset_id or len(asset_id) > 64 or "\x00" in asset_id:
        raise ValidationFailed("asset_id is required (at most 64 characters)", field="asset_id")
    raw_day = data.get("changed_on")
    try:
        day = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day or "").strip())
    except ValueError:
        raise ValidationFailed("changed_on is a date YYYY-MM-DD", field="changed_on") from None
    if day > (today or date.today()):
        raise ValidationFailed(f"changed_on {day} is in the future", field="changed_on")
    if day.year < 1900:
        raise ValidationFailed("changed_on is after 1900", field="changed_on")
    kind = str(data.get("kind") or "conversion").strip()
    if kind not in KINDS:
        raise ValidationFailed(f"kind '{kind[:20]}' is not one of {', '.join(KINDS)}", field="kind")
    tech = str(data.get("lampTechnology") or "").strip()
    if tech not in LAMP_TECHNOLOGIES:
        raise ValidationFailed(
            f"lampTechnology '{tech[:20]}' is not one of {', '.join(LAMP_TECHNOLOGIES)}",
            field="lampTechnology",
        )
    note = str(data.get("note") or "").strip()
    if len(note) > MAX_NOTE or "\x00" in note:
        raise ValidationFailed(f"note has at most {MAX_NOTE} characters", field="note")
    return LampChange(
        asset_id=asset_id,
        changed_on=day,
        kind=kind,
        lamp_technology=tech,
        power_rating=_number(data, "powerRating", 0, 2000),
        color_temperature=_number(data, "colorTemperature", 1000, 10000),
        upward_light_ratio=_number(data, "upwardLightRatio", 0, 100),
        note=note,
    )


def _apply(row: AssetRow, change: LampChange, now: Any) -> None:
    """Today's attributes of ``row`` from its latest change."""
    attrs = dict(row.attributes or {})
    attrs["lampTechnology"] = change.lamp_technology
    for key, value in (
        ("powerRating", change.power_rating),
        ("colorTemperature", change.color_temperature),
        ("upwardLightRatio", change.upward_light_ratio),
    ):
        if value is not None:
            attrs[key] = value
        elif change.kind in NEW_LUMINAIRE:
            attrs.pop(key, None)  # a new luminaire: the old one's figures no longer hold
    attrs["dateLastLampChange"] = change.changed_on.isoformat()
    if change.kind in NEW_LUMINAIRE:
        attrs["luminaireInstalledOn"] = change.changed_on.isoformat()
    row.attributes = attrs
    row.updated_at = now


def change_view(r: LampChangeRow) -> dict[str, Any]:
    return {
        "asset_id": r.asset_id,
        "changed_on": r.changed_on.isoformat(),
        "kind": r.kind,
        "lampTechnology": r.lamp_technology,
        "powerRating": r.power_rating,
        "colorTemperature": r.color_temperature,
        "upwardLightRatio": r.upward_light_ratio,
        "source": r.source,
        "note": r.note,
    }


def do_record_lamp_change(v: Vigie, agent: Agent | None, data: dict[str, Any]) -> dict[str, Any]:
    """An agent records a conversion (or a relamp, an installation) of one light point."""
    agent = require(agent, "assets.manage")
    change = check_lamp_change(data)
    now = utcnow()
    with v.db.session(write=True) as s:
        row = s.get(AssetRow, change.asset_id)
        if row is None:
            raise NotFound(f"no asset with id '{change.asset_id}'")
        if row.type != "street_light":
            raise ValidationFailed(f"{row.id} is a {row.type}, not a street light", field="asset_id")
        known = s.scalar(
            select(LampChangeRow.id).where(
                LampChangeRow.asset_id == change.asset_id,
                LampChangeRow.changed_on == change.changed_on,
                LampChangeRow.kind == change.kind,
            )
        )
        if known is not None:
            raise Conflict(f"{change.asset_id} already has a {change.kind} on {change.changed_on}")
        latest = s.scalar(
            select(LampChangeRow.changed_on)
            .where(LampChangeRow.asset_id == change.asset_id)
            .order_by(LampChangeRow.changed_on.desc())
            .limit(1)
        )
        entry = LampChangeRow(**change.row("agent", now))
        s.add(entry)
        if latest is None or change.changed_on >= latest:
            _apply(row, change, now)
        do_audit(s, agent, "asset.lamp_change", "asset", row.id, change_view(entry))
        s.commit()
        view = change_view(entry)
    v.messages.publish(
        [DomainEvent(type="asset.lamp_changed", report_ids=(), public=False, payload={"change": view})]
    )
    return view


def lamp_history(v: Vigie, asset_id: str) -> list[dict[str, Any]]:
    with v.db.session() as s:
        if s.get(AssetRow, asset_id[:64]) is None:
            raise NotFound(f"no asset with id '{asset_id[:64]}'")
        rows = s.scalars(
            select(LampChangeRow)
            .where(LampChangeRow.asset_id == asset_id)
            .order_by(LampChangeRow.changed_on, LampChangeRow.id)
        )
        return [change_view(r) for r in rows]


@dataclass
class LampHistory:
    """Every change of every point, sorted by point then day (columns, for array work)."""

    asset_id: list[str]
    changed_on: list[date]
    kind: list[str]
    lamp_technology: list[str]
    power_rating: list[float | None]


def load_history(v: Vigie) -> LampHistory:
    with v.db.session() as s:
        rows = s.execute(
            select(
                LampChangeRow.asset_id,
                LampChangeRow.changed_on,
                LampChangeRow.kind,
                LampChangeRow.lamp_technology,
                LampChangeRow.power_rating,
            ).order_by(LampChangeRow.asset_id, LampChangeRow.changed_on, LampChangeRow.id)
        ).all()
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    return LampHistory(*(list(c) for c in cols))


# --- import of past changes -----------------------------------------------------------------


@dataclass
class ImportResult:
    lines: int
    added: int
    skipped: int  # already known (same point, day and kind)
    updated_points: int  # points whose attributes now show an imported change
    problems: list[str]


def _read(path: Path, today: date) -> tuple[list[LampChange], list[str], int]:
    changes: list[LampChange] = []
    problems: list[str] = []
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ValidationFailed(f"cannot read {path}: {exc.strerror}", field="file") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [
            c for c in ("asset_id", "changed_on", "lampTechnology") if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise ValidationFailed(
                f"{path.name}: missing column(s) {', '.join(missing)} (expected {', '.join(CSV_COLUMNS)})",
                field="file",
            )
        n = 0
        try:
            for n, line in enumerate(reader, start=2):
                try:
                    changes.append(check_lamp_change(line, today))
                except ValidationFailed as exc:
                    problems.append(f"{path.name}:{n}: {exc.field}: {exc.message}")
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(f"{path.name}: not a UTF-8 CSV file ({exc})", field="file") from None
    return changes, problems, max(n - 1, 0)


def import_lamp_changes(
    v: Vigie, agent: Agent | None, path: Path, check_only: bool = False, source: str = "import"
) -> ImportResult:
    """Load a city's past lamp changes (CSV: :data:`CSV_COLUMNS`); all or nothing."""
    if agent is not None:  # the command line runs as the operator of the machine
        require(agent, "assets.manage")
    today = date.today()
    changes, problems, lines = _read(path, today)
    ids = sorted({c.asset_id for c in changes})
    with v.db.session() as s:
        types: dict[str, str] = {}
        for i in range(0, len(ids), 1000):
            for asset_id, type_ in s.execute(
                select(AssetRow.id, AssetRow.type).where(AssetRow.id.in_(ids[i : i + 1000]))
            ):
                types[asset_id] = type_
    for asset_id in ids:
        if asset_id not in types:
            problems.append(f"{path.name}: {asset_id}: no such asset")
        elif types[asset_id] != "street_light":
            problems.append(f"{path.name}: {asset_id}: a {types[asset_id]}, not a street light")
    seen: set[tuple[str, date, str]] = set()
    unique: list[LampChange] = []
    for c in changes:
        key = (c.asset_id, c.changed_on, c.kind)
        if key not in seen:
            seen.add(key)
            unique.append(c)
    if problems or check_only:
        return ImportResult(lines, 0, 0, 0, problems[:200])
    now = utcnow()
    with v.db.session(write=True) as s:
        known: set[tuple[str, date, str]] = set()
        for i in range(0, len(ids), 500):
            known.update(
                (a, d, k)
                for a, d, k in s.execute(
                    select(LampChangeRow.asset_id, LampChangeRow.changed_on, LampChangeRow.kind).where(
                        LampChangeRow.asset_id.in_(ids[i : i + 500])
                    )
                )
            )
        new = [c for c in unique if (c.asset_id, c.changed_on, c.kind) not in known]
        for i in range(0, len(new), 2000):
            s.execute(insert(LampChangeRow), [c.row(source, now) for c in new[i : i + 2000]])
        updated = _refresh_attributes(s, {c.asset_id for c in new}, now)
        if agent is not None:
            do_audit(s, agent, "asset.lamp_import", "file", path.name, {"added": len(new)})
        s.commit()
    return ImportResult(lines, len(new), len(unique) - len(new), updated, [])


def _refresh_attributes(s: Any, ids: Iterable[str], now: Any) -> int:
    """Points whose latest change is newer than their attributes say get its state."""
    ids = sorted(ids)
    count = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        latest: dict[str, LampChangeRow] = {}
        for r in s.scalars(
            select(LampChangeRow)
            .where(LampChangeRow.asset_id.in_(chunk))
            .order_by(LampChangeRow.asset_id, LampChangeRow.changed_on, LampChangeRow.id)
        ):
            latest[r.asset_id] = r
        for row in s.scalars(select(AssetRow).where(AssetRow.id.in_(chunk))):
            last = latest.get(row.id)
            if last is None:
                continue
            shown = (row.attributes or {}).get("dateLastLampChange")
            if shown is None or str(shown) <= last.changed_on.isoformat():
                change = LampChange(
                    last.asset_id,
                    last.changed_on,
                    last.kind,
                    last.lamp_technology,
                    last.power_rating,
                    last.color_temperature,
                    last.upward_light_ratio,
                )
                _apply(row, change, now)
                count += 1
    return count


__all__ = [
    "CSV_COLUMNS",
    "KINDS",
    "ImportResult",
    "LampChange",
    "LampHistory",
    "check_lamp_change",
    "do_record_lamp_change",
    "import_lamp_changes",
    "lamp_history",
    "load_history",
]
