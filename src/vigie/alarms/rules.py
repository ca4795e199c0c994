"""Alarm rules declared in YAML (src/vigie/alarms/rules/dijon.yaml), validated with file:line errors.

Six kinds: ``state`` (a condition on the latest values), ``threshold`` (a
number above or below a limit, with a separate clearing limit: hysteresis),
``heartbeat`` (no message for N minutes), ``combination`` (all / any of
several conditions, e.g. road surface at or below 0.5 °C and wet -> ice risk),
``daylight`` (a condition that is a fault only while the sun is up at the
asset's position, e.g. a street light burning in daylight: a day-burner) and
``consumption`` (a meter's energy over a window against what a model of the
asset expects, e.g. a lighting cabinet drawing far more or less than its lights
should: judged on a timer, see :meth:`vigie.alarms.engine.RuleEngine.meter_windows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from vigie.alarms.conditions import Condition, ConditionError, compile_condition, threshold
from vigie.errors import ConfigProblem, ConfigurationError
from vigie.telemetry.schema import DERIVED, KINDS, SCHEMAS
from vigie.yamlfile import LocatedDocument, load_located

SEVERITIES = ("critical", "major", "minor", "warning")
RULE_KINDS = ("state", "threshold", "heartbeat", "combination", "daylight", "consumption")
RULES_DIR = Path(__file__).parent / "rules"

_TEXT = {
    "type": "object",
    "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
    "additionalProperties": False,
}
_CONDITION = {"anyOf": [{"type": "string"}, {"type": "object"}]}
RULES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "asset_types", "severity"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,63}$"},
                    "kind": {"enum": list(RULE_KINDS)},
                    "asset_types": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"enum": list(KINDS)},
                    },
                    "severity": {"enum": list(SEVERITIES)},
                    "title": _TEXT,
                    "description": {"type": "string"},
                    "enabled": {"type": "boolean"},
                    "condition": _CONDITION,
                    "clear_condition": _CONDITION,
                    "field": {"type": "string"},
                    "above": {"type": "number"},
                    "below": {"type": "number"},
                    "clear_below": {"type": "number"},
                    "clear_above": {"type": "number"},
                    "minutes": {"type": "number", "exclusiveMinimum": 0},
                    "ratio": {"type": "number", "exclusiveMinimum": 0},
                    "clear_ratio": {"type": "number", "minimum": 0},
                    "min_kwh": {"type": "number", "minimum": 0},
                    "escalate_after_minutes": {"type": "number", "exclusiveMinimum": 0},
                    "scope": {"enum": ["asset", "zone"]},
                    "link_reports": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "services": {"type": "array", "items": {"type": "string"}},
                            "groups": {"type": "array", "items": {"type": "string"}},
                            "radius_m": {"type": "number", "exclusiveMinimum": 0},
                        },
                    },
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(RULES_SCHEMA)


@dataclass(frozen=True)
class LinkSpec:
    services: frozenset[str]
    groups: frozenset[str]
    radius_m: float

    def matches(self, service_code: str, group: str) -> bool:
        return service_code in self.services or group in self.groups


@dataclass(frozen=True)
class MeterSpec:
    """A consumption rule: a cumulative meter (kWh) over a sliding window against a model.

    Raised when the measured energy differs from the modelled one by more than
    ``ratio`` of the model (and by more than ``min_kwh``: a window where the
    model expects little is not judged on a few minutes of switching offsets);
    cleared when back within ``clear_ratio`` (hysteresis).
    """

    field: str
    window: timedelta
    ratio: float
    clear_ratio: float
    min_kwh: float

    def limit(self, modelled: float, clearing: bool = False) -> float:
        return max((self.clear_ratio if clearing else self.ratio) * modelled, self.min_kwh)


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    asset_kinds: frozenset[str]
    severity: str
    title: dict[str, str]
    fields: frozenset[str] = frozenset()
    raise_when: Condition | None = None
    clear_when: Condition | None = None
    heartbeat: timedelta | None = None
    # daylight rules: judged only from this long after sunrise to this long before sunset.
    daylight_margin: timedelta | None = None
    meter: MeterSpec | None = None
    escalate_after: timedelta | None = None
    scope: str = "asset"
    link: LinkSpec | None = None
    where: str = ""
    detail_fields: tuple[str, ...] = field(default=())

    def label(self, lang: str = "fr") -> str:
        return self.title.get(lang) or self.title.get("fr") or self.id


def rules_path(city: str, configured: str = "") -> Path | None:
    if configured:
        return Path(configured)
    name = Path(city).parent.name if city.endswith((".yaml", ".yml")) else city
    path = RULES_DIR / f"{name}.yaml"
    return path if path.exists() else None


def load_rules(
    path: Path | str, service_codes: Iterable[str] | None = None, text: str | None = None
) -> list[Rule]:
    """Load and check a rules file; ConfigurationError names file:line: field for each problem."""
    doc = load_located(path, text)
    errors = sorted(_VALIDATOR.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ConfigurationError([doc.problem(tuple(e.absolute_path), e.message) for e in errors])
    problems: list[ConfigProblem] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    known_services = set(service_codes) if service_codes is not None else None
    for i, spec in enumerate(doc.data["rules"]):
        where = ("rules", i)
        if spec["id"] in seen:
            problems.append(doc.problem((*where, "id"), f"duplicate rule id '{spec['id']}'"))
            continue
        seen.add(spec["id"])
        if spec.get("enabled", True) is False:
            continue
        try:
            rule = _build(doc, spec, where, problems)
        except ConditionError as exc:
            problems.append(doc.problem(where, str(exc)))
            continue
        if rule is None:
            continue
        if known_services is not None and rule.link is not None:
            for j, code in enumerate(sorted(rule.link.services)):
                if code not in known_services:
                    problems.append(
                        doc.problem(
                            (*where, "link_reports", "services", j),
                            f"unknown service '{code}' in the catalogue",
                        )
                    )
        rules.append(rule)
    if problems:
        raise ConfigurationError(problems)
    return rules


def _compile(doc: LocatedDocument, spec: Any, path: tuple[Any, ...], problems: list[ConfigProblem]):  # type: ignore[no-untyped-def]
    try:
        return compile_condition(spec)
    except ConditionError as exc:
        problems.append(doc.problem(path, str(exc)))
        return None


def _check_fields(
    doc: LocatedDocument,
    cond: Condition,
    kinds: frozenset[str],
    path: tuple[Any, ...],
    problems: list[ConfigProblem],
) -> None:
    for kind in sorted(kinds):
        known = {**SCHEMAS[kind]["properties"], **DERIVED.get(kind, {})}
        for f in sorted(cond.fields):
            if f not in known or f in ("ts", "x"):
                problems.append(doc.problem(path, f"'{f}' is not a measurement of {kind} devices"))


def _meter(
    doc: LocatedDocument,
    spec: dict[str, Any],
    kinds: frozenset[str],
    where: tuple[Any, ...],
    problems: list[ConfigProblem],
) -> MeterSpec | None:
    ratio = float(spec["ratio"])
    clear_ratio = float(spec.get("clear_ratio", ratio))
    if clear_ratio > ratio:
        problems.append(doc.problem((*where, "clear_ratio"), "must not be above 'ratio'"))
        return None
    name = spec["field"]
    for kind in sorted(kinds):
        known = SCHEMAS[kind]["properties"].get(name)
        if known is None or known.get("type") != "number":
            problems.append(
                doc.problem((*where, "field"), f"'{name}' is not a meter reading of {kind} devices")
            )
            return None
    return MeterSpec(
        field=name,
        window=timedelta(minutes=float(spec["minutes"])),
        ratio=ratio,
        clear_ratio=clear_ratio,
        min_kwh=float(spec.get("min_kwh", 0.0)),
    )


def _build(
    doc: LocatedDocument, spec: dict[str, Any], where: tuple[Any, ...], problems: list[ConfigProblem]
) -> Rule | None:
    kind = spec["kind"]
    kinds = frozenset(spec["asset_types"])
    before = len(problems)
    raise_when = clear_when = None
    heartbeat = margin = None
    meter = None

    def need(name: str) -> bool:
        if name not in spec:
            problems.append(doc.problem(where, f"a {kind} rule needs '{name}'"))
            return False
        return True

    if kind == "daylight":
        # Lights may burn a little past sunrise and before sunset (switching offsets).
        margin = timedelta(minutes=float(spec.get("minutes", 30)))
    if kind in ("state", "combination", "daylight"):
        if need("condition"):
            raise_when = _compile(doc, spec["condition"], (*where, "condition"), problems)
            if kind == "combination" and not isinstance(spec["condition"], dict):
                problems.append(
                    doc.problem((*where, "condition"), "a combination's condition is {all: …} or {any: …}")
                )
        if "clear_condition" in spec:
            clear_when = _compile(doc, spec["clear_condition"], (*where, "clear_condition"), problems)
    elif kind == "threshold":
        if need("field"):
            above, below = spec.get("above"), spec.get("below")
            if (above is None) == (below is None):
                problems.append(doc.problem(where, "a threshold rule needs 'above' or 'below'"))
            else:
                raise_when = threshold(spec["field"], above, below)
                if above is not None:
                    lim = spec.get("clear_below", above)
                    if lim > above:
                        problems.append(doc.problem((*where, "clear_below"), "must not be above 'above'"))
                    clear_when = threshold(spec["field"], None, lim)
                else:
                    assert below is not None
                    lim = spec.get("clear_above", below)
                    if lim < below:
                        problems.append(doc.problem((*where, "clear_above"), "must not be below 'below'"))
                    clear_when = threshold(spec["field"], lim, None)
    elif kind == "consumption":
        if need("field") & need("minutes") & need("ratio"):
            meter = _meter(doc, spec, kinds, where, problems)
    else:  # heartbeat
        if need("minutes"):
            heartbeat = timedelta(minutes=float(spec["minutes"]))
    for cond, key in ((raise_when, "condition"), (clear_when, "clear_condition")):
        if cond is not None:
            _check_fields(doc, cond, kinds, (*where, key if key in spec else "field"), problems)
    if len(problems) > before:
        return None
    link = None
    if "link_reports" in spec:
        lr = spec["link_reports"]
        link = LinkSpec(
            frozenset(lr.get("services", [])),
            frozenset(lr.get("groups", [])),
            float(lr.get("radius_m", 50)),
        )
    fields = (raise_when.fields if raise_when else frozenset()) | (
        clear_when.fields if clear_when else frozenset()
    )
    if meter is not None:
        fields = frozenset({meter.field})
    esc = spec.get("escalate_after_minutes")
    line = doc.line_of(where)
    return Rule(
        id=spec["id"],
        kind=kind,
        asset_kinds=kinds,
        severity=spec["severity"],
        title=dict(spec.get("title") or {}),
        fields=fields,
        raise_when=raise_when,
        clear_when=clear_when,
        heartbeat=heartbeat,
        daylight_margin=margin,
        meter=meter,
        escalate_after=timedelta(minutes=float(esc)) if esc else None,
        scope=spec.get("scope", "asset"),
        link=link,
        where=f"{doc.file}:{line}" if line else doc.file,
        detail_fields=tuple(sorted(fields)),
    )
