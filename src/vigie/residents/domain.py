"""Rules of resident accounts, in plain Python: what a favourite, a reminder and a merge
may hold."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from vigie.errors import ValidationFailed

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
KINDS = ("place", "address")
MAX_MERGE = 200  # the device keeps at most 200 reports in "my reports"
MAX_FAVOURITES = 100
MAX_REMINDERS = 10
EARLIEST, LATEST = time(12, 0), time(23, 30)  # a reminder goes the afternoon or evening before


def check_email(email: object) -> str:
    text = (email if isinstance(email, str) else "").strip().lower()
    if len(text) > 320 or not EMAIL_RE.match(text):
        raise ValidationFailed("email must be an e-mail address (name@domain.tld)", field="email")
    return text


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def account_ref(resident_id: int) -> str:
    """What ``reports.account_id`` holds for a report made by this resident."""
    return f"resident:{resident_id}"


def _text(value: object, field: str, limit: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a text", field=field)
    text = " ".join(value.split()).replace("\x00", "")
    if required and not text:
        raise ValidationFailed(f"{field} is required", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{field} must be at most {limit} characters", field=field)
    return text


@dataclass(frozen=True)
class Favourite:
    kind: str
    ref: str
    label: str
    lat: float | None = None
    lon: float | None = None


def check_favourite(data: object) -> Favourite:
    if not isinstance(data, dict):
        raise ValidationFailed("a favourite must be an object {kind, ref, label}", field="favourites")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}", field="kind")
    ref = _text(data.get("ref"), "ref", 200)
    label = _text(data.get("label") or ref, "label", 300)
    point: list[float | None] = []
    for name, bound in (("lat", 90.0), ("lon", 180.0)):
        value = data.get(name)
        if value is None:
            point.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            raise ValidationFailed(f"{name} must be a number between -{bound:g} and {bound:g}", field=name)
        point.append(float(value))
    return Favourite(kind, ref, label, point[0], point[1])


def check_tokens(data: object) -> list[str]:
    """Tracking tokens a device held ("my reports"): texts, at most ``MAX_MERGE``."""
    if data is None:
        return []
    if not isinstance(data, list) or len(data) > MAX_MERGE:
        raise ValidationFailed(f"reports must be a list of at most {MAX_MERGE} tokens", field="reports")
    out = []
    for item in data:
        if not isinstance(item, str) or not 1 <= len(item) <= 64:
            raise ValidationFailed(
                "each report must be a tracking token (1 to 64 characters)", field="reports"
            )
        out.append(item)
    return list(dict.fromkeys(out))


def check_time(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    try:
        at = time.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or len(text) != 5 or not EARLIEST <= at <= LATEST:
        raise ValidationFailed(
            f"at must be a time HH:MM between {EARLIEST:%H:%M} and {LATEST:%H:%M}", field="at"
        )
    return text


@dataclass(frozen=True)
class ReminderDraft:
    label: str
    citycode: str
    street: str
    streams: tuple[str, ...]
    at: str


def check_reminder(data: dict[str, Any], streams: list[str]) -> ReminderDraft:
    """A reminder's fields; ``streams``: the codes of the rounds' streams."""
    label = _text(data.get("label"), "label", 300)
    citycode = _text(data.get("commune"), "commune", 10)
    street = _text(data.get("rue"), "rue", 200, required=False)
    asked = data.get("streams")
    if not isinstance(asked, list) or not asked:
        raise ValidationFailed("choose at least one collection (streams)", field="streams")
    unknown = [str(x)[:40] for x in asked if x not in streams]
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' is not a collection ({', '.join(streams)})", field="streams")
    return ReminderDraft(label, citycode, street, tuple(dict.fromkeys(asked)), check_time(data.get("at")))


__all__ = [
    "Favourite",
    "ReminderDraft",
    "account_ref",
    "check_email",
    "check_favourite",
    "check_reminder",
    "check_time",
    "check_tokens",
    "secret_hash",
]
