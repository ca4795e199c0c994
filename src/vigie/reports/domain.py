"""Report lifecycle and validation rules. Plain Python, no I/O."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from vigie.catalogue.domain import Datatype, Service
from vigie.city.profile import BusinessHours
from vigie.errors import Conflict, ValidationFailed
from vigie.personaldata import mask_personal_data

MAX_DESCRIPTION = 4000
MAX_STRING = 255


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    REOPENED = "reopened"


class Channel(StrEnum):
    APP = "app"
    WEB = "web"
    OPEN311 = "open311"
    EMAIL = "email"
    PHONE = "phone"
    SENSOR = "sensor"
    IMPORT = "import"


# Channels residents use themselves: agents-only services are refused there.
RESIDENT_CHANNELS = frozenset({Channel.APP, Channel.WEB, Channel.OPEN311})

CLOSED = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE})
_WORK = {Status.ACKNOWLEDGED, Status.ASSIGNED, Status.IN_PROGRESS}
_ENDS = {Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset(_WORK | _ENDS),
    Status.ACKNOWLEDGED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS} | _ENDS),
    Status.ASSIGNED: frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS} | _ENDS),
    Status.IN_PROGRESS: frozenset({Status.ASSIGNED} | _ENDS),
    Status.RESOLVED: frozenset({Status.REOPENED}),
    Status.REJECTED: frozenset({Status.REOPENED}),
    Status.DUPLICATE: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset(_WORK | _ENDS),
}


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED else "open"


def check_transition(current: str, target: str) -> Status:
    try:
        to = Status(target)
    except ValueError:
        raise ValidationFailed(
            f"unknown status '{target}' (expected one of {', '.join(s.value for s in Status)})",
            field="status",
        ) from None
    frm = Status(current)
    if to not in TRANSITIONS[frm]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[frm])) or "none"
        raise Conflict(
            f"a report cannot go from '{frm.value}' to '{to.value}' (allowed: {allowed})",
            field="status",
        )
    return to


def check_description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"description is {len(text)} characters long; at most {MAX_DESCRIPTION} are accepted",
            field="description",
        )
    if "\x00" in text:
        raise ValidationFailed("description contains a NUL character", field="description")
    return text


def default_public_description(description: str) -> str | None:
    """The public text a new description gets: none of its own (the public reads the
    resident's text) unless the text holds a phone number or an e-mail address, which
    the public must not read: then the text with them masked. Operators may still set
    another public text (moderation)."""
    masked = mask_personal_data(description)
    return None if masked == description else masked


# A coordinate given as text: ASCII decimal digits, an optional sign, point and exponent;
# "nan" and "inf" pass here and are refused by the range checks below.
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:nan|inf|infinity)", re.ASCII | re.I)


def check_coordinates(lat: Any, long: Any) -> tuple[float, float] | None:
    """Both or neither; finite WGS84 values."""
    if lat in (None, "") and long in (None, ""):
        return None
    if lat in (None, "") or long in (None, ""):
        missing = "long" if lat not in (None, "") else "lat"
        raise ValidationFailed("lat and long must be given together", field=missing)
    for name, value in (("lat", lat), ("long", long)):
        # float() also reads "4_7.3" and non-ASCII digits: a typo would place the report.
        if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
            raise ValidationFailed(f"{name} is not a number", field=name)
    try:
        la, lo = float(lat), float(long)
    except (TypeError, ValueError):
        bad = "lat" if not _is_float(lat) else "long"
        raise ValidationFailed(f"{bad} is not a number", field=bad) from None
    if not (math.isfinite(la) and -90 <= la <= 90):
        raise ValidationFailed("lat must be between -90 and 90", field="lat")
    if not (math.isfinite(lo) and -180 <= lo <= 180):
        raise ValidationFailed("long must be between -180 and 180", field="long")
    return la, lo


def _is_float(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def parse_datetime(value: str, field: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{field} is not an ISO 8601 date-time (e.g. 2026-11-26T10:00:00+01:00)", field=field
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def check_attributes(service: Service, given: dict[str, Any], require: bool = True) -> dict[str, Any]:
    """Validate attribute values against the service definition; returns clean values.

    ``require=False`` lets required attributes be missing: a report that came by
    e-mail could not answer the service's questions, the operator completes them.
    """
    clean: dict[str, Any] = {}
    known = {a.code for a in service.attributes}
    for code in given:
        if code not in known:
            raise ValidationFailed(
                f"service '{service.code}' has no attribute '{code}'", field=f"attribute[{code}]"
            )
    for attr in service.attributes:
        field = f"attribute[{attr.code}]"
        raw = given.get(attr.code)
        if isinstance(raw, list | tuple):
            values = [v for v in raw if v not in (None, "")]
        elif raw in (None, ""):
            values = []
        else:
            values = [raw]
        if not values:
            if attr.required and require:
                raise ValidationFailed(
                    f"attribute '{attr.code}' is required for service '{service.code}'",
                    field=field,
                )
            continue
        if attr.datatype != Datatype.MULTIVALUELIST and len(values) > 1:
            raise ValidationFailed(f"attribute '{attr.code}' takes one value", field=field)
        if attr.datatype == Datatype.MULTIVALUELIST:
            bad = [str(v) for v in values if str(v) not in attr.keys]
            if bad:
                raise ValidationFailed(
                    f"'{bad[0]}' is not a value of attribute '{attr.code}' "
                    f"(expected: {', '.join(sorted(attr.keys))})",
                    field=field,
                )
            clean[attr.code] = sorted({str(v) for v in values})
            continue
        value = values[0]
        if attr.datatype == Datatype.SINGLEVALUELIST:
            if str(value) not in attr.keys:
                raise ValidationFailed(
                    f"'{value}' is not a value of attribute '{attr.code}' "
                    f"(expected: {', '.join(sorted(attr.keys))})",
                    field=field,
                )
            clean[attr.code] = str(value)
        elif attr.datatype == Datatype.NUMBER:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValidationFailed(f"attribute '{attr.code}' must be a number", field=field) from None
            if not math.isfinite(number):
                raise ValidationFailed(f"attribute '{attr.code}' must be finite", field=field)
            clean[attr.code] = int(number) if number.is_integer() else number
        elif attr.datatype == Datatype.DATETIME:
            clean[attr.code] = parse_datetime(str(value), field).isoformat()
        else:
            text = str(value).strip()
            limit = MAX_STRING if attr.datatype == Datatype.STRING else MAX_DESCRIPTION
            if len(text) > limit:
                raise ValidationFailed(
                    f"attribute '{attr.code}' is longer than {limit} characters", field=field
                )
            clean[attr.code] = text
    return clean


# --- SLA -------------------------------------------------------------------


def expected_datetime(start: datetime, hours: float, business: bool, bh: BusinessHours, tz: Any) -> datetime:
    """When the SLA ends: wall-clock hours, or hours counted in working time only."""
    if not business:
        return start + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    local = start.astimezone(tz)
    for _ in range(3660):  # ten years of days: an SLA longer than that is a typo
        day = local.date()
        day_start = datetime.combine(day, bh.start, tzinfo=tz)
        day_end = datetime.combine(day, bh.end, tzinfo=tz)
        if day.weekday() in bh.days and local < day_end and not bh.is_holiday(day):
            begin = max(local, day_start)
            available = day_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        local = datetime.combine(day + timedelta(days=1), bh.start, tzinfo=tz)
    return (start + timedelta(hours=hours)).astimezone(UTC)


def sla_state(expected: datetime | None, status: str, now: datetime, soon_hours: float = 24) -> str:
    if expected is None or status in CLOSED:
        return "none"
    if now > expected:
        return "overdue"
    if expected - now <= timedelta(hours=soon_hours):
        return "due_soon"
    return "on_time"
