"""Shared by the residents' app tests (API tests and browser tests)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from vigie.citizen.web import router


def with_citizen_routes(app: FastAPI) -> FastAPI:
    """Add the residents' app routes unless the application already has them (before start-up)."""
    if not any(getattr(route, "path", "") == "/sw.js" for route in app.routes):
        app.include_router(router)
    return app


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
