"""Treatment-procedure resolution: the most specific matching rule wins.

Rules are bucketed by (service key, zone key); resolution walks the buckets
from the most to the least specific, which keeps it O(1) in the number of
rules and lets validation prove that every (service, zone) pair resolves to
exactly one procedure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from vigie.errors import ValidationFailed

if TYPE_CHECKING:
    from vigie.catalogue.domain import Catalogue, Procedure

ANY = "*"
Key = tuple[str, str]


def _key(p: Procedure) -> Key:
    service_key = f"s:{p.service}" if p.service else (f"g:{p.group}" if p.group else ANY)
    return (service_key, p.zone or ANY)


def build_index(catalogue: Catalogue) -> dict[Key, list[Procedure]]:
    index: dict[Key, list[Procedure]] = defaultdict(list)
    for p in catalogue.procedures:
        index[_key(p)].append(p)
    # Conditional rules are tried before the unconditional rule of their bucket.
    for rules in index.values():
        rules.sort(key=lambda r: 0 if r.condition else 1)
    return dict(index)


def _buckets(catalogue: Catalogue, service_code: str, zone: str) -> Iterable[Key]:
    service = catalogue.services[service_code]
    for skey in (f"s:{service_code}", f"g:{service.group}", ANY):
        yield (skey, zone)
        yield (skey, ANY)


def resolve(catalogue: Catalogue, service_code: str, zone: str, attributes: dict[str, object]) -> Procedure:
    if service_code not in catalogue.services:
        raise ValidationFailed(f"unknown service '{service_code}'", field="service_code")
    index = catalogue._index
    for key in _buckets(catalogue, service_code, zone):
        for rule in index.get(key, ()):
            if rule.condition is None or rule.condition.matches(attributes):
                return rule
    # Validation guarantees coverage for known zones; this is a catalogue bug.
    raise ValidationFailed(
        f"no treatment procedure for service '{service_code}' in zone '{zone}'",
        field="service_code",
    )


def check_coverage(catalogue: Catalogue, zones: list[str]) -> list[str]:
    """Problems that would make some (service, zone) pair resolve ambiguously or not at all."""
    problems: list[str] = []
    index = catalogue._index
    for key, rules in index.items():
        plain = [r.id for r in rules if r.condition is None]
        if len(plain) > 1:
            problems.append(f"procedures {', '.join(plain)} match the same cases {_show(key)}")
        conditional = [r for r in rules if r.condition is not None]
        for i, a in enumerate(conditional):
            for b in conditional[i + 1 :]:
                assert a.condition is not None and b.condition is not None
                if a.condition.attribute != b.condition.attribute or (
                    a.condition.values & b.condition.values
                ):
                    problems.append(
                        f"procedures {a.id} and {b.id} can both match the same report {_show(key)}"
                    )
    missing: list[str] = []
    for code in catalogue.services:
        for zone in zones:
            if not any(
                r.condition is None for key in _buckets(catalogue, code, zone) for r in index.get(key, ())
            ):
                missing.append(f"{code}@{zone}")
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        problems.append(f"no procedure covers {shown}")
    return problems


def _show(key: Key) -> str:
    skey, zone = key
    what = "every service" if skey == ANY else skey.replace("s:", "service ").replace("g:", "group ")
    where = "everywhere" if zone == ANY else f"in zone {zone}"
    return f"({what}, {where})"
