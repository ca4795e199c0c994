"""A zone's collections as an iCalendar feed (RFC 5545, written by the ``icalendar`` library).

One all-day event per collection, with a stable UID (zone, stream, usual day)
so that a calendar application subscribed to the feed updates an event moved
by a holiday rather than adding another, and an alarm the evening before
(18:00) so that subscribers are reminded to put the bin out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from vigie.waste.domain import Collection, Zone

REMIND_BEFORE = timedelta(hours=6)  # all-day events start at 00:00: the alarm rings at 18:00 the day before


def zone_calendar(
    zone: Zone, label: str, collections: list[Collection], lang: str, host: str, title: str
) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Vigie//Waste collection//" + lang.upper())
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{title} – {label}")
    cal.add("x-published-ttl", "P1D")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for c in collections:
        usual = c.moved_from or c.day
        event = Event()
        event.add("uid", f"{zone.id}-{c.stream.code}-{usual:%Y%m%d}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", c.day)
        event.add("dtend", c.day + timedelta(days=1))
        event.add("summary", c.stream.name(lang))
        event.add("transp", "TRANSPARENT")
        if c.moved_from:
            moved = "Jour habituel" if lang == "fr" else "Usual day"
            event.add(
                "description",
                f"{moved} : {c.moved_from.isoformat()}"
                if lang == "fr"
                else f"{moved}: {c.moved_from.isoformat()}",
            )
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", c.stream.name(lang))
        alarm.add("trigger", -REMIND_BEFORE)
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())


__all__ = ["zone_calendar"]
