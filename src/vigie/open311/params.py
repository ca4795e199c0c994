"""Open311 parameters: the spec's reading rules, in one place.

* An empty parameter means the same as an absent one (some clients always send
  ``jurisdiction_id=``).
* Lists are comma separated and a parameter may also be repeated
  (``status=open,closed`` or ``status=open&status=closed``).
* ``start_date``/``end_date`` bound ``requested_datetime``; the span is at most
  90 days and defaults to the last 90 days.
* An answer holds the first 1,000 requests, as the spec says; the common
  ``page``/``page_size`` extension pages beyond them (``page`` starts at 1,
  ``page_size`` is 1 to 1,000) and a ``Link: rel="next"`` header says there are more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any

from fastapi import Request

from vigie.digits import is_digits
from vigie.errors import BadRequest, NotFound
from vigie.reports.domain import CLOSED, Status, parse_datetime
from vigie.reports.queries import MAX_PAGE_SIZE
from vigie.runtime import Vigie

MAX_SPAN = timedelta(days=90)
DEFAULT_PAGE_SIZE = 1000
MAX_IDS = 500
TRUE = {"true", "1", "yes", "on"}
_LOST_PLUS = re.compile(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Params:
    """Request parameters with empty values dropped and surrounding blanks trimmed."""

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self.values: dict[str, list[str]] = {}
        for key, raw in items:
            if not isinstance(raw, str):
                raise BadRequest("files are not accepted; link media with media_url", field=key)
            value = raw.strip()
            if value:
                self.values.setdefault(key, []).append(value)

    def single(self, names: Iterable[str]) -> None:
        """Refuse any of ``names`` given twice with different values: read from its last copy,
        ``api_key=bad&…&api_key=good`` passed and a second ``lat`` moved the report."""
        for name in names:
            if len(set(self.values.get(name, []))) > 1:
                raise BadRequest(f"{name} is given more than once, with different values", field=name)

    def get(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[-1] if found else None

    def csv(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self.values.get(name, []):
            for part in value.split(","):
                part = part.strip()
                if part and part not in out:
                    out.append(part)
        return out

    def flag(self, name: str) -> bool:
        return (self.get(name) or "").lower() in TRUE


def check_jurisdiction(v: Vigie, params: Params) -> None:
    given = params.get("jurisdiction_id")
    if given is not None and given != v.city.jurisdiction_id:
        raise NotFound(
            f"unknown jurisdiction '{given}'; this endpoint serves '{v.city.jurisdiction_id}'",
            field="jurisdiction_id",
        )


def language(request: Request, params: Params, v: Vigie) -> str:
    """``lang`` if the city speaks it, else the best of Accept-Language, else the default."""
    available = v.city.languages or ["fr"]
    asked = (params.get("lang") or "").lower()
    if asked in available:
        return asked
    ranked: list[tuple[float, int, str]] = []
    header = request.headers.get("accept-language", "")
    for i, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in available and q > 0:
            ranked.append((-q, i, primary))
    if ranked:
        return sorted(ranked)[0][2]
    return v.city.default_language


def parse_window(params: Params, now: datetime) -> tuple[datetime, datetime]:
    """The requested_datetime window: at most 90 days, by default the last 90 days."""
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    start = _date(start_raw, "start_date") if start_raw else None
    end = _date(end_raw, "end_date") if end_raw else None
    if start is None and end is None:
        return now - MAX_SPAN, now
    if start is None:
        assert end is not None
        return _shifted(end, -MAX_SPAN), end
    if end is None:
        return start, _shifted(start, MAX_SPAN)
    if end < start:
        raise BadRequest("end_date is before start_date", field="end_date")
    if end - start > MAX_SPAN:
        raise BadRequest("start_date and end_date may not span more than 90 days", field="end_date")
    return start, end


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """``moment + by``, held within the calendar: a window's end 90 days past 9999-12-31 (or
    its start before year 1) was an OverflowError, answered as a 400 naming no parameter."""
    try:
        return moment + by
    except OverflowError:
        edge = datetime.max if by > timedelta(0) else datetime.min
        return edge.replace(tzinfo=UTC)


def _date(value: str, field: str) -> datetime:
    # An unencoded "+01:00" in a query string arrives as " 01:00": put the plus back.
    return parse_datetime(_LOST_PLUS.sub(r"\1+\2", value), field)


def parse_statuses(params: Params) -> list[str]:
    """Internal statuses for ``status=open,closed``; an empty list means every status."""
    asked = [s.lower() for s in params.csv("status")]
    for s in asked:
        if s not in ("open", "closed"):
            raise BadRequest(f"unknown status '{s}' (expected open or closed)", field="status")
    if not asked or set(asked) == {"open", "closed"}:
        return []
    closed = asked == ["closed"]
    return sorted(s.value for s in Status if (s in CLOSED) == closed)


def parse_page(params: Params) -> tuple[int, int]:
    page = _int(params, "page", 1)
    size = _int(params, "page_size", DEFAULT_PAGE_SIZE)
    if not 1 <= page <= 1_000_000:
        raise BadRequest("page must be between 1 and 1000000", field="page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    return page, size


def _int(params: Params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"'{raw}' is not a whole number", field=name) from None


def parse_ids(params: Params) -> list[int]:
    """``service_request_id=1,2``; ids that cannot exist (not numbers) match nothing."""
    ids = params.csv("service_request_id")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"at most {MAX_IDS} ids may be asked at once", field="service_request_id")
    return [int(i) for i in ids if is_digits(i) and len(i) <= 10 and int(i) <= 2**31 - 1]


def parse_attributes(params: Params) -> dict[str, Any]:
    """``attribute[code]=v`` and, for a multivaluelist, ``attribute[code][]=v1&…=v2``."""
    found: dict[str, list[str]] = {}
    multi: set[str] = set()
    for key, values in params.values.items():
        if not key.startswith("attribute["):
            continue
        match = _ATTRIBUTE.match(key)
        if match is None:
            raise BadRequest(
                "attributes are sent as attribute[code]=value or attribute[code][]=value",
                field=key,
            )
        code = match.group(1)
        found.setdefault(code, []).extend(values)
        if match.group(2):
            multi.add(code)
    return {code: values if code in multi or len(values) > 1 else values[0] for code, values in found.items()}


def local_iso(dt: datetime | None, tz: tzinfo) -> str | None:
    """W3C date-time with the city's offset, e.g. ``2026-11-26T10:00:00+01:00``."""
    if dt is None:
        return None
    # A page of requests formats hundreds of dates: a fixed offset per quarter of an
    # hour (zones change offset on a quarter hour, in UTC too) is several times
    # cheaper than a ZoneInfo lookup.
    return dt.astimezone(_offset_at(tz, int(dt.timestamp()) // 900)).isoformat(timespec="seconds")


@lru_cache(maxsize=65536)
def _offset_at(tz: tzinfo, quarter: int) -> timezone:
    offset = datetime.fromtimestamp(quarter * 900, tz).utcoffset()
    return timezone(offset) if offset is not None else UTC


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_SPAN",
    "Params",
    "check_jurisdiction",
    "language",
    "local_iso",
    "parse_attributes",
    "parse_ids",
    "parse_page",
    "parse_statuses",
    "parse_window",
]
