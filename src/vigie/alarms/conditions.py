"""Conditions of alarm rules: ``field op value``, combined with ``all`` / ``any``.

A compiled condition answers True, False, or None when a field it needs has no
value yet (the rule then changes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

Values = dict[str, Any]
Predicate = Callable[[Values], bool | None]

OPS = ("==", "!=", "<=", ">=", "<", ">", "not in", "in")
_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(==|!=|<=|>=|<|>|not\s+in|in)\s+(.+?)\s*$")
_RE_TIGHT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    fields: frozenset[str]
    test: Predicate
    text: str


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _compare(field: str, op: str, value: Any) -> Predicate:
    if op in ("<", "<=", ">", ">="):
        if not _number(value):
            raise ConditionError(f"'{op}' needs a number, got {value!r}")
        limit = float(value)

        def numeric(values: Values) -> bool | None:
            x = values.get(field)
            if type(x) is not float and type(x) is not int:
                return None
            if op == "<":
                return bool(x < limit)
            if op == "<=":
                return bool(x <= limit)
            if op == ">":
                return bool(x > limit)
            return bool(x >= limit)

        return numeric
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"'{op}' needs a list such as [wet, moist], got {value!r}")
        members = frozenset(value)
        negate = op == "not in"

        def membership(values: Values) -> bool | None:
            x = values.get(field)
            if x is None:
                return None
            return (x in members) != negate

        return membership
    if isinstance(value, list | dict):
        raise ConditionError(f"'{op}' compares with one value, not {value!r}")
    negate = op == "!="

    def equality(values: Values) -> bool | None:
        x = values.get(field)
        if x is None:
            return None
        same = x == value and isinstance(x, bool) == isinstance(value, bool)
        return same != negate

    return equality


def parse(text: str) -> Condition:
    """Compile one ``field op value`` condition (value in YAML: ok, 0.5, false, [wet, moist])."""
    m = _RE.match(text) or _RE_TIGHT.match(text)
    if not m:
        raise ConditionError(
            f"cannot read condition {text!r}: expected 'field op value' with op one of " + ", ".join(OPS)
        )
    field, op, raw = m.group(1), " ".join(m.group(2).split()), m.group(3)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConditionError(f"cannot read the value {raw!r}: {exc}") from None
    if value is None:
        raise ConditionError(f"condition {text!r} has no value to compare with")
    return Condition(frozenset({field}), _compare(field, op, value), text.strip())


def compile_condition(spec: Any) -> Condition:
    """A string, or ``{all: [...]}`` / ``{any: [...]}`` of conditions (nested at will)."""
    if isinstance(spec, str):
        return parse(spec)
    if isinstance(spec, dict) and len(spec) == 1:
        ((how, items),) = spec.items()
        if how in ("all", "any") and isinstance(items, list) and items:
            parts = [compile_condition(item) for item in items]
            fields = frozenset().union(*(p.fields for p in parts))
            tests = [p.test for p in parts]
            text = f" {'and' if how == 'all' else 'or'} ".join(f"({p.text})" for p in parts)
            decisive = how == "any"  # one True decides "any", one False decides "all"

            def combined(values: Values) -> bool | None:
                unknown = False
                for t in tests:
                    r = t(values)
                    if r is decisive:
                        return decisive
                    if r is None:
                        unknown = True
                return None if unknown else not decisive

            return Condition(fields, combined, text)
    raise ConditionError("a condition is a string 'field op value' or a mapping {all: [...]} / {any: [...]}")


def threshold(field: str, above: float | None, below: float | None) -> Condition:
    if above is not None:
        return parse(f"{field} > {above}")
    assert below is not None
    return parse(f"{field} < {below}")
