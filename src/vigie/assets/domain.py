"""Validation of one asset against the registry (:mod:`vigie.assets.types`).

:func:`check_asset` validates and normalises one asset draft and reports every
problem at once, each naming the field at fault (``attributes.powerRating``).
Attributes an asset type does not declare are *free attributes*: kept as given
when they are plain values (text, number, boolean or a short list of them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from vigie.assets.types import (
    ASSET_TYPES,
    STATUSES,
    AssetStatus,
    AssetType,
    AttributeSpec,
    AttrType,
    Problem,
)
from vigie.errors import ValidationFailed

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # also a valid MQTT topic level
RESERVED_IDS = frozenset({"types"})  # /api/v1/assets/types
FREE_NAME_RE = re.compile(r"^[a-z][A-Za-z0-9_]{0,63}$")
MAX_TEXT = 500
MAX_LIST = 50
MAX_ATTRIBUTES = 60
MIN_DATE = date(1850, 1, 1)


class AssetInvalid(ValidationFailed):
    """Every problem of one asset; ``field`` is the first field at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems), field=problems[0][0])


@dataclass
class AssetDraft:
    """One asset as given by a person, an import or the demo (not yet checked)."""

    id: str
    type: str
    lat: float | None = None
    long: float | None = None
    status: str = AssetStatus.IN_SERVICE.value
    name: str = ""
    group: str = ""
    installed_on: date | str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    parent_id: str | None = None
    external_id: str | None = None
    zone: str = ""


# --- values ------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "oui", "vrai", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "non", "faux", "f"})


def _number(value: Any, spec: AttributeSpec, coerce: bool) -> int | float:
    if isinstance(value, str) and coerce:
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a number")
    if spec.type is AttrType.INTEGER:
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            value = int(value)
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    unit = f" {spec.unit}" if spec.unit else ""
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"{value}{unit} is below the minimum {spec.minimum:g}{unit}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"{value}{unit} is above the maximum {spec.maximum:g}{unit}")
    return value


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


def _enum(value: Any, allowed: tuple[str, ...], coerce: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    if value in allowed:
        return value
    if coerce:
        folded = {a.lower(): a for a in allowed}
        found = folded.get(value.strip().lower())
        if found is not None:
            return found
    raise ValueError(f"'{value}' is not one of {', '.join(allowed)}")


def coerce_value(spec: AttributeSpec, value: Any, coerce: bool = False) -> Any:
    """The stored form of ``value``; raises ValueError with a message for people.

    With ``coerce`` (imports) text is read as the attribute's type: "400" as a
    number, "yes" as true, "a, b" as a list, enum values case-insensitively.
    """
    t = spec.type
    if t in (AttrType.NUMBER, AttrType.INTEGER):
        return _number(value, spec, coerce)
    if t is AttrType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if coerce and isinstance(value, str | int):
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise ValueError(f"{value!r} is not a boolean (true or false)")
    if t is AttrType.DATE:
        d = parse_date(value)
        if d < MIN_DATE or d.year > 2200:
            raise ValueError(f"{d.isoformat()} is out of range")
        return d.isoformat()
    if t is AttrType.ENUM:
        return _enum(value, spec.values, coerce)
    if t is AttrType.LIST:
        items: Any = value
        if isinstance(value, str) and coerce:
            items = [p.strip() for p in re.split(r"[,;|]", value) if p.strip()]
        if not isinstance(items, list | tuple):
            raise ValueError(f"{value!r} is not a list")
        if len(items) > MAX_LIST:
            raise ValueError(f"more than {MAX_LIST} items")
        out: list[str] = []
        for item in items:
            if spec.values:
                item = _enum(item, spec.values, coerce)
            elif not isinstance(item, str) or not item or len(item) > 200 or "\x00" in item:
                raise ValueError(f"{item!r} is not a text of 1 to 200 characters")
            if item not in out:
                out.append(item)
        return out
    # STRING
    if isinstance(value, int | float) and not isinstance(value, bool) and coerce:
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a text")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _free_value(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"longer than {MAX_TEXT} characters")
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return value
    if isinstance(value, list | tuple):
        if len(value) > MAX_LIST:
            raise ValueError(f"more than {MAX_LIST} items")
        if not all(
            isinstance(i, str | int | float)
            and not isinstance(i, bool)
            and len(str(i)) <= 200
            and "\x00" not in str(i)
            for i in value
        ):
            raise ValueError("a list may only hold texts and numbers")
        return list(value)
    raise ValueError("a free attribute must be a text, a number, a boolean or a list of texts and numbers")


def check_attributes(
    type_: AssetType, attributes: Mapping[str, Any], coerce: bool = False
) -> tuple[dict[str, Any], list[Problem]]:
    """Typed attributes converted and checked; undeclared ones kept as free attributes."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    if not isinstance(attributes, Mapping):
        return {}, [("attributes", "must be an object")]
    if len(attributes) > MAX_ATTRIBUTES:
        problems.append(("attributes", f"more than {MAX_ATTRIBUTES} attributes"))
    for name, value in attributes.items():
        where = f"attributes.{name}"
        spec = type_.attributes.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and coerce):
            continue  # missing: a required one is reported below
        try:
            if spec is not None:
                out[name] = coerce_value(spec, value, coerce)
            elif not isinstance(name, str) or not FREE_NAME_RE.match(name):
                problems.append(
                    (
                        where,
                        "not an attribute of "
                        f"{type_.code}; free attribute names are camelCase letters and "
                        "digits (at most 64)",
                    )
                )
            else:
                out[name] = _free_value(value)
        except ValueError as exc:
            problems.append((where, str(exc)))
    for spec in type_.attributes.values():
        if (
            spec.required
            and spec.name not in out
            and not any(f == f"attributes.{spec.name}" for f, _ in problems)
        ):
            unit = f", in {spec.unit}" if spec.unit else ""
            hint = f" (one of {', '.join(spec.values)})" if spec.type is AttrType.ENUM else ""
            problems.append((f"attributes.{spec.name}", f"required for a {type_.code}{unit}{hint}"))
    return out, problems


def _plain_text(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and len(value) <= max_length and "\x00" not in value


def check_id(value: Any, where: str = "id") -> list[Problem]:
    if not isinstance(value, str) or not ID_RE.match(value):
        return [
            (
                where,
                f"{value!r} is not a valid asset id (1 to 64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit)",
            )
        ]
    if value in RESERVED_IDS:
        return [(where, f"'{value}' is reserved")]
    return []


def check_asset(draft: AssetDraft, *, coerce: bool = False) -> AssetDraft:
    """A normalised copy of ``draft``, or :class:`AssetInvalid` listing every problem.

    Checks what needs no database: id, type, status, location (both or neither
    coordinate, in range; required unless the type is mobile), name, group,
    installed date, typed and free attributes, link names and ids, and the
    type's own rules. The zone and the existence of linked assets are checked
    by :mod:`vigie.assets.actions`.
    """
    problems: list[Problem] = check_id(draft.id)
    type_ = ASSET_TYPES.get(draft.type)
    if type_ is None:
        problems.append(
            ("type", f"unknown asset type '{draft.type}' (expected one of: {', '.join(ASSET_TYPES)})")
        )
        raise AssetInvalid(problems)
    status = draft.status
    if status not in STATUSES:
        problems.append(("status", f"'{status}' is not an asset status ({', '.join(STATUSES)})"))
    lat, long = draft.lat, draft.long
    if lat is None and long is None:
        if not type_.mobile:
            problems.append(("location", f"a {type_.code} needs a location (lat and long)"))
    else:
        pair: list[float] = []
        for key, value, bound in (("lat", lat, 90.0), ("long", long, 180.0)):
            if value is None:
                problems.append((key, "lat and long go together"))
                continue
            try:
                number = float(value) if coerce and isinstance(value, str) else value
            except ValueError:
                problems.append((key, f"'{value}' is not a number"))
                continue
            if (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or not math.isfinite(number)
                or not -bound <= number <= bound
            ):
                problems.append((key, f"{value!r} is not a {key} between {-bound:g} and {bound:g}"))
                continue
            pair.append(float(number))
        if len(pair) == 2:
            lat, long = pair
    name = draft.name if isinstance(draft.name, str) else ""
    if not _plain_text(draft.name, 200):
        problems.append(("name", "must be a text of at most 200 characters"))
    group = draft.group if isinstance(draft.group, str) else ""
    if not _plain_text(draft.group, 64):
        problems.append(("group", "must be a text of at most 64 characters"))
    installed: date | None = None
    if draft.installed_on not in (None, ""):
        try:
            installed = parse_date(draft.installed_on)
            if installed < MIN_DATE or installed.year > 2200:
                problems.append(("installed_on", f"{installed.isoformat()} is out of range"))
        except ValueError as exc:
            problems.append(("installed_on", str(exc)))
    attributes, attr_problems = check_attributes(type_, draft.attributes or {}, coerce)
    problems += attr_problems
    links: dict[str, str] = {}
    if not isinstance(draft.links, Mapping):
        problems.append(("links", "must be an object of relation name to asset id"))
    else:
        for rel, target in draft.links.items():
            if target in (None, ""):
                continue
            if rel not in type_.links:
                known = ", ".join(type_.links) or "none"
                problems.append((f"links.{rel}", f"a {type_.code} has no link '{rel}' (its links: {known})"))
                continue
            found = check_id(target, f"links.{rel}")
            problems += found
            if not found:
                links[rel] = target
    parent_id = draft.parent_id or None
    if parent_id is not None:
        problems += check_id(parent_id, "parent_id")
        if parent_id == draft.id:
            problems.append(("parent_id", "an asset cannot be its own parent"))
    external_id = draft.external_id or None
    if external_id is not None and not _plain_text(external_id, 128):
        problems.append(("external_id", "must be a text of at most 128 characters"))
    out = replace(
        draft,
        lat=lat,
        long=long,
        name=name.strip(),
        group=group.strip(),
        installed_on=installed,
        attributes=attributes,
        links=links,
        parent_id=parent_id,
        external_id=external_id,
    )
    if not problems:
        for rule in type_.rules:
            problems += rule(out)
    if problems:
        raise AssetInvalid(problems)
    return out


__all__ = [
    "AssetDraft",
    "AssetInvalid",
    "check_asset",
    "check_attributes",
    "check_id",
    "coerce_value",
    "parse_date",
]
