"""Events crossing PostgreSQL NOTIFY always fit its 8,000-byte payload limit."""

from __future__ import annotations

import orjson

from vigie.events.bus import MAX_NOTIFY_BYTES, _fit
from vigie.events.domain import DomainEvent

EMOJI = "\U0001f573"  # four bytes in UTF-8, not escaped by the JSON encoder


def _event(**payload: object) -> DomainEvent:
    base = {
        "id": "42",
        "reference": "DIJ-2026-000042",
        "service_code": "nid-de-poule",
        "status": "new",
        "open311_status": "open",
        "lat": 47.32,
        "long": 5.04,
        "zone": "21231",
        "description": "Trou",
        "attributes": {"danger_immediat": "non"},
        "address": "Place de la Libération",
    }
    base.update(payload)
    agent = {"reporter": {"name": "Ada", "email": "ada@example.org"}, "channel": "app"}
    return DomainEvent("report.created", (42,), True, base, agent, "e1")


def _decoded(text: str) -> dict:  # type: ignore[type-arg]
    assert len(text.encode()) <= MAX_NOTIFY_BYTES
    return orjson.loads(text)


def test_events_bus_fit_small_event_is_sent_whole() -> None:
    event = _event()
    assert _fit(event) == event.to_json()


def test_events_bus_fit_long_description_is_dropped_first() -> None:
    got = _decoded(_fit(_event(description=EMOJI * 4000)))
    assert "description" not in got["payload"] and got["payload"]["truncated"] is True
    assert got["payload"]["attributes"] == {"danger_immediat": "non"}
    assert got["agent"]["reporter"]["name"] == "Ada"


def test_events_bus_fit_long_attribute_and_address_are_dropped_next() -> None:
    got = _decoded(_fit(_event(attributes={"acces": EMOJI * 4000}, address=EMOJI * 512)))
    assert "attributes" not in got["payload"] and "address" not in got["payload"]
    assert "reporter" not in got["agent"]
    assert got["payload"]["reference"] == "DIJ-2026-000042" and got["report_ids"] == [42]
    assert got["id"] == "e1" and got["type"] == "report.created"


def test_events_bus_fit_anything_else_too_long_leaves_the_essentials() -> None:
    got = _decoded(_fit(_event(photos=["http://x/" + "p" * 3000] * 5, zone=EMOJI * 3000)))
    assert got["payload"] == {
        "id": "42",
        "reference": "DIJ-2026-000042",
        "service_code": "nid-de-poule",
        "status": "new",
        "open311_status": "open",
        "lat": 47.32,
        "long": 5.04,
        "truncated": True,
    }
    assert got["agent"] == {}
