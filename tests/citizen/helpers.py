"""Shared by the residents' app tests (API tests and browser tests)."""

from __future__ import annotations

from typing import Any


def pothole(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": "nid-de-poule",
        "description": "Trou profond devant la boulangerie",
        "lat": 47.3220,
        "long": 5.0415,
        "address": "Place de la Libération, Dijon",
        "attributes": {"danger_immediat": "non"},
    }
    body.update(over)
    return body
