"""A city's publication policy: what the public sees of a residents' report.

Declared once per city (``publication:`` in city.yaml) and applied by the one
public view of a report (``reports/fields.py``): the native API, Open311, the
public map, live streams and tracking pages all render through it, so that
paging Open311 never shows more than a release of the open data would.

The rules are plain data and plain arithmetic here; their SQL forms (the
database writes the public lists) live in ``reports/publication.py`` and are
checked against these by the tests, on both backends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

M_PER_DEG_LAT = 111_320.0


class Shown(StrEnum):
    ALWAYS = "always"
    AFTER_CHECK = "after_check"
    NEVER = "never"


class TimePrecision(StrEnum):
    EXACT = "exact"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


# A photo's moderation state, set by an operator.
PHOTO_UNCHECKED = ""
PHOTO_SHOWN = "shown"
PHOTO_HIDDEN = "hidden"
PHOTO_BLURRED = "blurred"
PHOTO_STATES = (PHOTO_SHOWN, PHOTO_HIDDEN, PHOTO_BLURRED)


@dataclass(frozen=True)
class Grid:
    """Cells of about ``metres`` on a side: degrees per cell in latitude and longitude.

    The longitude step is taken at the city's centre latitude, so cells are square
    there; one city spans too few degrees for the difference to matter.
    """

    metres: int
    lat_step: float
    long_step: float

    @classmethod
    def of(cls, metres: int, centre_lat: float) -> Grid:
        lat_step = metres / M_PER_DEG_LAT
        long_step = metres / (M_PER_DEG_LAT * max(math.cos(math.radians(centre_lat)), 0.01))
        return cls(metres, lat_step, long_step)

    @staticmethod
    def centre(value: float, step: float) -> float:
        """The centre of the cell holding ``value``: the same arithmetic as the SQL form."""
        return (math.floor(value / step) + 0.5) * step

    def snap(self, lat: float, long: float) -> tuple[float, float]:
        return self.centre(lat, self.lat_step), self.centre(long, self.long_step)

    def widen(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """``box`` (min_long, min_lat, max_long, max_lat) grown to whole cells.

        A report is then inside or outside by its cell alone: moving a filter's
        edge by a metre never tells where in its cell a report lies.
        """
        x1, y1, x2, y2 = box
        return (
            math.floor(x1 / self.long_step) * self.long_step,
            math.floor(y1 / self.lat_step) * self.lat_step,
            (math.floor(x2 / self.long_step) + 1) * self.long_step,
            (math.floor(y2 / self.lat_step) + 1) * self.lat_step,
        )


@dataclass(frozen=True)
class PublicationPolicy:
    description: Shown = Shown.ALWAYS
    photos: Shown = Shown.ALWAYS
    position_m: int = 0
    time: TimePrecision = TimePrecision.EXACT
    centre_lat: float = 45.0
    timezone: str = "UTC"

    @property
    def grid(self) -> Grid | None:
        return Grid.of(self.position_m, self.centre_lat) if self.position_m > 0 else None

    @property
    def exact_position(self) -> bool:
        return self.position_m == 0

    @property
    def open_text(self) -> bool:
        """Whether residents' text is public without an operator's check."""
        return self.description is Shown.ALWAYS

    def description_shown(self, checked: bool) -> bool:
        return self.description is Shown.ALWAYS or (self.description is Shown.AFTER_CHECK and checked)

    def public_text(self, description: str, public_description: str | None, checked: bool) -> str:
        """The text the public reads: the operator's public text if any, else the resident's."""
        if not self.description_shown(checked):
            return ""
        return description if public_description is None else public_description

    def photo_shown(self, kind: str, state: str) -> bool:
        """Whether a photo is public; agents' photos (resolution…) are the city's own."""
        if state == PHOTO_HIDDEN:
            return False
        if kind != "report" or self.photos is Shown.ALWAYS:
            return True
        return self.photos is Shown.AFTER_CHECK and state in (PHOTO_SHOWN, PHOTO_BLURRED)

    def position(self, lat: float | None, long: float | None) -> tuple[float | None, float | None]:
        grid = self.grid
        if grid is None or lat is None or long is None:
            return lat, long
        return grid.snap(lat, long)

    def when(self, dt: datetime | None) -> datetime | None:
        """``dt`` (aware, UTC) truncated to the policy's precision; ``day`` is the city's local day."""
        if dt is None or self.time is TimePrecision.EXACT:
            return dt
        if self.time is TimePrecision.MINUTE:
            return dt.replace(second=0, microsecond=0)
        if self.time is TimePrecision.HOUR:
            # Truncated in UTC: the same local hour wherever the offset is whole hours.
            return dt.replace(minute=0, second=0, microsecond=0)
        local = dt.astimezone(ZoneInfo(self.timezone))
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    def widen_start(self, dt: datetime | None) -> datetime | None:
        """A public ``start`` filter moved back to the beginning of its unit."""
        return self.when(dt)

    def widen_end(self, dt: datetime | None) -> datetime | None:
        """A public ``end`` filter moved forward to the end of its unit (exclusive bound minus 1 µs)."""
        if dt is None or self.time is TimePrecision.EXACT:
            return dt
        start = self.when(dt)
        assert start is not None
        if self.time is TimePrecision.MINUTE:
            nxt = start + timedelta(minutes=1)
        elif self.time is TimePrecision.HOUR:
            nxt = start + timedelta(hours=1)
        else:
            local = start.astimezone(ZoneInfo(self.timezone))
            nxt = (
                (local.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=local.tzinfo).astimezone(UTC)
            )
        return nxt - timedelta(microseconds=1)


OPEN = PublicationPolicy()

__all__ = [
    "Grid",
    "OPEN",
    "PHOTO_BLURRED",
    "PHOTO_HIDDEN",
    "PHOTO_SHOWN",
    "PHOTO_STATES",
    "PHOTO_UNCHECKED",
    "PublicationPolicy",
    "Shown",
    "TimePrecision",
]
