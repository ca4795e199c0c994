"""The OpenAPI document of the city served: the routes it shows, examples from its own place.

A route behind :func:`vigie.web.deps.module_in_use` or :func:`~vigie.web.deps.data_published`
is listed only when that gate lets requests through, decided the same way (the profile's
``modules``; the residents' sections with data, the menu's answer): a city without traffic
regulation had /api/v1/traffic in its document, only to answer 404. A request body's example
that names a place is made from the city's centre (:func:`city_example`), where it had one
city's street for every city.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import RouteContext, iter_route_contexts

from vigie.city.profile import CityProfile
from vigie.web.deps import GATES

# Request bodies' examples made for the city: a route's ``openapi_extra`` names one
# (``city_example(name)``), its module registers how it is made (``CITY_EXAMPLES[name]``).
EXAMPLE_KEY = "x-vigie-city-example"
CITY_EXAMPLES: dict[str, Callable[[CityProfile | None], Any]] = {}


def city_example(name: str) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose body example is made for the city."""
    return {EXAMPLE_KEY: name}


def closed_gates(app: FastAPI) -> frozenset[tuple[str, str]]:
    """The gates that answer 404 in this city now; none before the platform is started."""
    v = getattr(app.state, "vigie", None)
    if v is None:
        return frozenset()
    sections = app.state.resident_sections(v)
    closed = set()
    for kind, name in set(GATES.values()):
        if (kind == "module" and not v.city.uses(name)) or (kind == "section" and not sections.get(name)):
            closed.add((kind, name))
    return frozenset(closed)


def shown(route: RouteContext, closed: frozenset[tuple[str, str]]) -> bool:
    """Whether a route's gates (its own and its routers', as FastAPI runs them) are all open."""
    gates = (GATES.get(d.dependency) for d in getattr(route, "dependencies", ()) if d.dependency)
    return not any(gate in closed for gate in gates)


def city_openapi(app: FastAPI) -> dict[str, Any]:
    """``app.openapi``: the document for the gates closed now (kept per set of gates: a
    section's data may come with an import while the app runs)."""
    closed = closed_gates(app)
    cache: dict[frozenset[tuple[str, str]], dict[str, Any]] = app.state.openapi_documents
    found = cache.get(closed)
    if found is None:
        found = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=[r for r in iter_route_contexts(app.routes) if shown(r, closed)],
            tags=app.openapi_tags,
            servers=app.servers,
        )
        v = getattr(app.state, "vigie", None)
        _fill_examples(found, v.city if v is not None else None)
        cache[closed] = found
    return found


def _fill_examples(document: dict[str, Any], city: CityProfile | None) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            name = operation.pop(EXAMPLE_KEY, None)
            if name is None:
                continue
            example = CITY_EXAMPLES[name](city)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                media.setdefault("schema", {})["examples"] = [example]


__all__ = ["CITY_EXAMPLES", "city_example", "city_openapi", "closed_gates"]
