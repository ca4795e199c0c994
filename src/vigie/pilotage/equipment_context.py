"""What the equipment pages of the control room show: labels, attributes, links, telemetry.

Read-only helpers over the assets, telemetry and alarms contexts; the pages
(:mod:`vigie.pilotage.equipment`) render them and give them to their scripts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from vigie.accounts.storage import AuditRow
from vigie.assets.storage import AssetRow
from vigie.assets.types import ASSET_TYPES, STATUSES, AttrType
from vigie.runtime import Vigie
from vigie.web import formats
from vigie.web.i18n import catalog, translate

JS_PREFIX = "equipment.js."
SEVERITIES = ("critical", "major", "minor", "warning")
ALARM_STATES = (
    "active_unacknowledged",
    "active_acknowledged",
    "cleared_unacknowledged",
    "cleared_acknowledged",
)
ALARM_KINDS = (
    "raised",
    "acknowledged",
    "assigned",
    "comment",
    "escalated",
    "report_linked",
    "report_resolved",
    "cleared",
)
# Map layers, in the order of the layer list (the heaviest first: it is measured).
LAYER_TYPES = (
    "street_light",
    "control_cabinet",
    "camera",
    "traffic_signal_controller",
    "road_weather_station",
    "vehicle",
)
# The layers of an optional module (city.yaml `modules`): left out of the map when the city
# does not use it; the others (service vehicles) are every city's.
LAYER_MODULES = {
    "street_light": "lighting",
    "control_cabinet": "lighting",
    "camera": "videoprotection",
    "traffic_signal_controller": "traffic",
    "road_weather_station": "winter",
}
# Measurements drawn on the asset page's chart, per asset type: (name, unit, axis).
CHART_METRICS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "street_light": (("powerConsumption", "W", "left"), ("illuminanceLevel", "", "right")),
    "control_cabinet": (("voltage", "V", "left"), ("powerConsumption", "W", "right")),
    "camera": (("online", "", "left"),),
    "traffic_signal_controller": (("fault", "", "left"),),
    "road_weather_station": (("surfaceTemperature", "°C", "left"), ("airTemperature", "°C", "left")),
    "vehicle": (("speed", "km/h", "left"),),
}
# Units of telemetry measurements (docs/telemetry.md); ratios 0–1 are shown as percentages.
METRIC_UNITS = {
    "powerConsumption": "W",
    "energyConsumed": "kWh",
    "voltage": "V",
    "surfaceTemperature": "°C",
    "airTemperature": "°C",
    "precipitation": "mm/h",
    "speed": "km/h",
    "heading": "°",
    "operatingHours": "h",
}
RATIOS = frozenset({"illuminanceLevel", "relativeHumidity"})
CHART_RANGES = {"24h": 1, "7d": 7, "30d": 30}
MAX_LINKED = 200


def has_message(lang: str, key: str) -> bool:
    messages = catalog()
    return key in messages.get(lang, {}) or key in messages["fr"]


def tr(lang: str, key: str, default: str) -> str:
    """A message, or ``default`` when the catalogue has none (unknown enum values…)."""
    return translate(lang, key) if has_message(lang, key) else default


def js_messages(lang: str, base: dict[str, str], terms: dict[str, str] | None = None) -> dict[str, str]:
    """The control room's script messages plus every ``equipment.js.*`` one (which win)."""
    fr = catalog()["fr"]
    t = terms or {}
    own = {key[len(JS_PREFIX) :]: translate(lang, key, **t) for key in fr if key.startswith(JS_PREFIX)}
    return {**base, **own}


def type_name(code: str, lang: str) -> str:
    t = ASSET_TYPES.get(code)
    return (t.name.get(lang) or t.name["fr"]) if t else code


def number(value: float | int, lang: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{int(value):,}".replace(",", "\u202f" if lang == "fr" else ",")
    return text.replace(".", ",") if lang == "fr" else text


def with_unit(text: str, unit: str) -> str:
    return f"{text}\u00a0{unit}" if unit else text


def display_value(value: Any, lang: str, unit: str = "", name: str = "") -> str:
    """A typed value for people: yes/no, localised numbers with their unit, known enum labels."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return translate(lang, "equipment.yes" if value else "equipment.no")
    if isinstance(value, int | float):
        if name in RATIOS and 0 <= value <= 1:
            return with_unit(number(round(value * 100, 1), lang), "%")
        return with_unit(number(value, lang), unit)
    if isinstance(value, list):
        return ", ".join(display_value(x, lang) for x in value) or "—"
    if isinstance(value, dict):
        if value.get("type") == "Point" and isinstance(value.get("coordinates"), list):
            long, lat = value["coordinates"][:2]
            return f"{lat:.5f}, {long:.5f}"
        return ", ".join(f"{k}: {display_value(x, lang)}" for k, x in value.items())
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return formats.when(date.fromisoformat(text), lang)
        except ValueError:
            return text
    return tr(lang, f"equipment.value.{text}", text)


def attribute_rows(row: AssetRow, lang: str) -> list[dict[str, Any]]:
    """Typed attributes first (declared order, with label, unit and type), then free ones."""
    type_ = ASSET_TYPES.get(row.type)
    attrs = dict(row.attributes or {})
    out: list[dict[str, Any]] = []
    if type_ is not None:
        for spec in type_.attributes.values():
            if spec.name not in attrs:
                continue
            value = attrs.pop(spec.name)
            out.append(
                {
                    "name": spec.name,
                    "label": tr(lang, f"equipment.attr.{spec.name}", spec.description),
                    "value": display_value(value, lang, spec.unit, spec.name),
                    "unit": spec.unit,
                    "type": spec.type.value,
                    "raw": value if spec.type is not AttrType.LIST else None,
                    "free": False,
                }
            )
    for name in sorted(attrs):
        out.append(
            {
                "name": name,
                "label": tr(lang, f"equipment.attr.{name}", name),
                "value": display_value(attrs[name], lang),
                "unit": "",
                "type": "free",
                "raw": None,
                "free": True,
            }
        )
    return out


def asset_names(v: Vigie, ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """id -> (type, name, status) for the ids that exist."""
    if not ids:
        return {}
    with v.db.session() as s:
        q = select(AssetRow.id, AssetRow.type, AssetRow.name, AssetRow.status).where(AssetRow.id.in_(ids))
        return {r[0]: (r[1], r[2], r[3]) for r in s.execute(q)}


def links_out(v: Vigie, row: AssetRow, lang: str) -> list[dict[str, Any]]:
    """Assets this one points at (its cabinet, its parent)."""
    type_ = ASSET_TYPES.get(row.type)
    pairs = [(rel, target) for rel, target in (row.links or {}).items() if target]
    if row.parent_id:
        pairs.append(("parent", row.parent_id))
    found = asset_names(v, [t for _, t in pairs])
    out = []
    for rel, target in pairs:
        spec = type_.links.get(rel) if type_ else None
        kind, name, status = found.get(target, ("", "", ""))
        out.append(
            {
                "relation": tr(lang, f"equipment.link.{rel}", spec.description if spec else rel),
                "id": target,
                "name": name,
                "type": type_name(kind, lang) if kind else "",
                "status": status,
                "exists": target in found,
            }
        )
    return out


def links_in(v: Vigie, row: AssetRow, lang: str, limit: int = MAX_LINKED) -> list[dict[str, Any]]:
    """Assets pointing at this one (a cabinet's lights, a parent's children), with their count."""
    groups: list[dict[str, Any]] = []
    with v.db.session() as s:
        for t in ASSET_TYPES.values():
            for rel, spec in t.links.items():
                if spec.target_type != row.type:
                    continue
                col = AssetRow.links[rel].as_string()
                cond = (AssetRow.type == t.code, col == row.id)
                total = s.scalar(select(func.count()).select_from(AssetRow).where(*cond)) or 0
                if not total:
                    continue
                q = select(AssetRow.id, AssetRow.name, AssetRow.status, AssetRow.group).where(*cond)
                items = s.execute(q.order_by(AssetRow.id).limit(limit)).all()
                groups.append(
                    {
                        "relation": tr(lang, f"equipment.link_in.{rel}", t.name.get(lang) or t.code),
                        "total": int(total),
                        "assets": [{"id": i, "name": n, "status": st, "group": g} for i, n, st, g in items],
                    }
                )
        children_total = s.scalar(
            select(func.count()).select_from(AssetRow).where(AssetRow.parent_id == row.id)
        )
        if children_total:
            q = select(AssetRow.id, AssetRow.name, AssetRow.status, AssetRow.group)
            items = s.execute(q.where(AssetRow.parent_id == row.id).order_by(AssetRow.id).limit(limit)).all()
            groups.append(
                {
                    "relation": translate(lang, "equipment.link_in.children"),
                    "total": int(children_total),
                    "assets": [{"id": i, "name": n, "status": st, "group": g} for i, n, st, g in items],
                }
            )
    return groups


def asset_history(v: Vigie, asset_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """Audit entries about the asset (creation, status changes), newest first."""
    with v.db.session() as s:
        rows = list(
            s.scalars(
                select(AuditRow)
                .where(AuditRow.target_type == "asset", AuditRow.target_id == asset_id)
                .order_by(AuditRow.id.desc())
                .limit(limit)
            )
        )
    return [
        {
            "at": r.at.astimezone(UTC).isoformat().replace("+00:00", "Z") if r.at else "",
            "action": r.action,
            "actor": r.actor,
            "from": (r.detail or {}).get("from"),
            "to": (r.detail or {}).get("to"),
            "note": (r.detail or {}).get("note") or "",
        }
        for r in rows
    ]


def latest_rows(latest: dict[str, Any] | None, lang: str) -> list[dict[str, str]]:
    if not latest:
        return []
    values = latest.get("values") or {}
    return [
        {
            "name": name,
            "label": tr(lang, f"equipment.metric.{name}", name),
            "value": display_value(values[name], lang, METRIC_UNITS.get(name, ""), name),
        }
        for name in sorted(values)
    ]


def chart_config(type_code: str, lang: str) -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "label": tr(lang, f"equipment.metric.{name}", name),
            "unit": "%" if name in RATIOS else unit,
            "axis": axis,
            "ratio": "1" if name in RATIOS else "",
        }
        for name, unit, axis in CHART_METRICS.get(type_code, ())
    ]


def series_table(
    series: dict[str, Any], metrics: list[dict[str, str]], tz: Any, lang: str
) -> list[list[str]]:
    """Rows (local time, one value per charted metric) of a series, newest first."""
    cols = series.get("metrics") or {}
    rows: list[list[str]] = []
    fmt = "%d/%m %H:%M" if lang == "fr" else "%d %b %H:%M"
    for i, t in enumerate(series.get("t") or []):
        when = datetime.fromtimestamp(t, UTC).astimezone(tz).strftime(fmt)
        cells = [when]
        for m in metrics:
            col = cols.get(m["name"]) or {}
            values = col.get("avg") or col.get("last") or []
            value = values[i] if i < len(values) else None
            unit = "" if m["ratio"] else m["unit"]
            cells.append(display_value(value, lang, unit, m["name"]))
        rows.append(cells)
    rows.reverse()
    return rows


def series_for(v: Vigie, asset_id: str, type_code: str, days: int = 1) -> dict[str, Any]:
    """The chart's series (empty when the telemetry context is not installed)."""
    names = [name for name, _, _ in CHART_METRICS.get(type_code, ())]
    if not names:
        return {"t": [], "metrics": {}, "step_seconds": 0}
    from vigie.telemetry.queries import series

    end = datetime.now(UTC)
    return series(v, asset_id, end - timedelta(days=days), end, None, names)


def latest_state(v: Vigie, asset_id: str) -> dict[str, Any] | None:
    from vigie.telemetry.queries import latest_state as latest

    return latest(v, asset_id)


def recent_samples(v: Vigie, asset_id: str, lang: str, limit: int = 20) -> list[dict[str, Any]]:
    from vigie.telemetry.queries import history

    out = []
    for sample in reversed(history(v, asset_id, None, limit)):
        values = {k: x for k, x in sample.items() if k not in ("ts", "x")}
        out.append(
            {
                "ts": sample.get("ts", ""),
                "values": "; ".join(
                    f"{tr(lang, f'equipment.metric.{k}', k)} "
                    f"{display_value(x, lang, METRIC_UNITS.get(k, ''), k)}"
                    for k, x in sorted(values.items())
                ),
            }
        )
    return out


def alarm_rules(v: Vigie, lang: str) -> list[dict[str, str]]:
    try:
        from vigie.alarms.actions import get_rules

        rules = get_rules(v)
    except Exception:  # an invalid rules file is reported by the alarms context itself
        return []
    return sorted(
        ({"id": r.id, "title": r.label(lang), "severity": r.severity} for r in rules),
        key=lambda r: r["title"],
    )


def labels(v: Vigie, lang: str) -> dict[str, Any]:
    """Labels the equipment scripts need (status, severity, alarm states…)."""

    def t(key: str) -> str:
        return translate(lang, key)

    return {
        "asset_status": {s: t(f"equipment.status.{s}") for s in STATUSES},
        "asset_types": {code: type_name(code, lang) for code in ASSET_TYPES},
        "severity": {s: t(f"equipment.severity.{s}") for s in SEVERITIES},
        "alarm_state": {s: t(f"equipment.alarm_state.{s}") for s in ALARM_STATES},
        "alarm_kind": {k: t(f"equipment.alarm_kind.{k}") for k in ALARM_KINDS},
        "zones": {z.code: z.name for z in v.city.zones.zones},
        "rules": {r["id"]: r["title"] for r in alarm_rules(v, lang)},
        "metrics": _prefixed(lang, "equipment.metric."),
        "values": _prefixed(lang, "equipment.value."),
    }


def _prefixed(lang: str, prefix: str) -> dict[str, str]:
    return {key[len(prefix) :]: translate(lang, key) for key in catalog()["fr"] if key.startswith(prefix)}
