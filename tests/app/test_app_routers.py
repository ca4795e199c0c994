"""The order FastAPI tries the routers in: the busiest endpoints first."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from vigie.app.routers import ROUTERS

# The control room's queue page and map are asked again by every screen at each live
# update; each route tried before them costs 10-15 µs under load (docs/benchmarks.md). Reusers'
# scripts page through the records API by the thousand.
BUSY = (
    "/api/explore/v2.1/catalog/datasets/{dataset_id}/records",
    "/api/v1/pilotage/queue",
    "/api/v1/pilotage/queue/map",
    "/api/v1/reports",
    "/open311/v2/requests.{fmt}",
)


def _flat(routes: Iterable[Any]) -> Iterator[tuple[str, frozenset[str]]]:
    """(path, methods) of each route in the order they are tried, an included router's in its place."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)  # a router included in a router
        if contexts is not None:
            for c in contexts():
                yield c.path, frozenset(getattr(c.original_route, "methods", None) or ())
        else:
            yield route.path, frozenset(getattr(route, "methods", None) or ())


def _routes_before(path: str) -> int:
    for tried, (route_path, _) in enumerate(_flat(r for router in ROUTERS for r in router.routes)):
        if route_path == path:
            return tried
    raise AssertionError(f"no route {path}")


def test_app_routers_try_the_busiest_endpoints_among_the_first():
    for path in BUSY:
        assert _routes_before(path) < 50, (path, _routes_before(path))


def test_app_routers_have_no_path_twice_across_routers():
    # Moving a router earlier changes which route answers only if another router holds the same
    # path and method: there is none, so the order is free to follow the traffic.
    seen: dict[tuple[str, str], int] = {}
    for i, router in enumerate(ROUTERS):
        for path, methods in _flat(router.routes):
            for method in methods:
                assert seen.setdefault((path, method), i) == i, (path, method)
