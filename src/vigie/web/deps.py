"""Request-scoped helpers shared by the routers: the platform, the agent, the client."""

from __future__ import annotations

import asyncio
import functools
import hmac
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import anyio
import orjson
from fastapi import Path, Request
from fastapi._compat import field_annotation_is_sequence

from vigie.accounts.actions import agent_for_token
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import PERMISSIONS, require
from vigie.city.schema import MODULES
from vigie.errors import BadRequest, Forbidden, ModuleNotInUse, NoDataPublished, ValidationFailed
from vigie.runtime import Vigie

SESSION_COOKIE = "vigie_session"
# Ids are 32-bit INTEGER columns on PostgreSQL: a larger number in a URL is a 422,
# never an out-of-range error in the driver.
MAX_ID = 2**31 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def vigie_of(request: Request) -> Vigie:
    vigie: Vigie = request.app.state.vigie
    return vigie


async def get_vigie(request: Request) -> Vigie:
    """The platform, as a dependency.

    Async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool,
    a round trip through another thread on every request for one attribute read
    (8 % of the interpreter's time on a list page).
    """
    return vigie_of(request)


T = TypeVar("T")

# What each gate below lets through, by the check it made: the OpenAPI document leaves out the
# routes of a module the city does not use, or of a section without data (vigie.web.openapi).
GATES: dict[Callable[..., Any], tuple[str, str]] = {}


def module_in_use(module: str) -> Callable[[Request], Any]:
    """A route dependency: 404 (:class:`ModuleNotInUse`) unless the city's profile declares
    ``module``; pages answer it as a page saying so, APIs as problem JSON."""
    if module not in MODULES:  # checked when the routes are declared, not at the first request
        raise ValueError(f"unknown module '{module}'")

    async def check(request: Request) -> None:  # async: no trip through the thread pool
        city = request.app.state.vigie.city
        if not city.uses(module):
            raise ModuleNotInUse(module, city.name)

    GATES[check] = ("module", module)
    return check


# The residents' sections that follow the city's data, and where that data comes from (said in
# the 404 of a section without data, for the person setting the city up).
RESIDENT_SECTIONS = {
    "transport": "no stops imported by 'vigie import gtfs', no car parks in VIGIE_TRANSPORT_CAR_PARKS",
    "places": "no places imported by 'vigie import places'",
    "waste": "setting VIGIE_WASTE_ROUNDS is empty",
    "library": "setting VIGIE_LIBRARY_SRU_URL is empty",
}


def data_published(section: str) -> Callable[[Request], Any]:
    """A route dependency: 404 (:class:`NoDataPublished`) when the city has no data for this
    residents' section (``app.state.resident_sections``, the same answer the menu follows);
    pages answer it as a page saying so, APIs as problem JSON.

    A plain ``def``: the answer is cached a minute, but finding it may read the database."""
    if section not in RESIDENT_SECTIONS:
        raise ValueError(f"unknown residents' section '{section}'")

    def check(request: Request) -> None:
        v = request.app.state.vigie
        if not request.app.state.resident_sections(v).get(section):
            raise NoDataPublished(section, v.city.name, RESIDENT_SECTIONS[section])

    GATES[check] = ("section", section)
    return check


async def run_read(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run a read-heavy handler body in the app's small read pool (``read_concurrency``).

    Eight threads reading SQLite at once on two cores spend their time handing
    Python's global lock to each other (it is released at every row stepped);
    two threads answer the same load with a third of the latency.
    """
    return await _in_pool(getattr(request.app.state, "read_pool", None), fn, *args)


async def run_write(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run a submission in the app's write pool (``write_concurrency``).

    On PostgreSQL forty threads submitting at once spend more time handing each
    other the global lock than working; four keep commits overlapping. On
    SQLite the waiting threads are what fills a group commit, so more is better.
    """
    return await _in_pool(getattr(request.app.state, "write_pool", None), fn, *args)


async def _in_pool(pool: Executor | None, fn: Callable[..., T], *args: Any) -> T:
    if pool is None:  # an app serving without its lifespan (never in production)
        return await anyio.to_thread.run_sync(lambda: fn(*args))
    return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args))


async def json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """A request's body read as a JSON object (empty: ``{}``), refused with the reason when it
    is larger than ``max_bytes``, not JSON, holds a number too large to read (400), or is not
    an object. For routes that read their body by hand (their limits differ, and a 422 should
    name the problem in words)."""
    raw = await request.body()
    if len(raw) > max_bytes:
        raise ValidationFailed(f"the body is larger than {max_bytes // 1024} kB")
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        # orjson reads a number past a double's range (1e400, 310 digits) as no JSON at all.
        if "number is infinity" in str(exc):
            raise BadRequest("a number in the body is too large to be read") from None
        raise ValidationFailed("the body is not JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object")
    return data


# Query parameters every native API route takes besides its own: ``lang`` (the language of the
# answer's text, read by web.i18n.request_language on any request), ``apikey`` (a reuser's open
# data key, reusers.quota.key_text) and ``api_key`` (Open311 clients send their key everywhere;
# ignored here, as by the Explore API).
CONVENTIONAL_QUERY = frozenset({"lang", "apikey", "api_key"})


async def declared_query_only(request: Request) -> None:
    """A dependency: refuse a query parameter the route does not declare, or one given twice.
    (``async``: it does no I/O, so it takes no trip through the thread pool.)

    FastAPI ignores the first and reads the last copy of the second: ``limit=5`` (another API's
    name) answered the default page as if it had been applied, ``page=1&page=2`` page 2.
    A parameter declared as a list (``service=a&service=b``) may be repeated: each copy counts.
    Given to every native API router (tests/web/test_web_declared_query.py walks them).
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    single, repeatable = _query_names(dependant)
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in repeatable:
            continue
        if name not in single and name not in CONVENTIONAL_QUERY:
            accepted = ", ".join(sorted(single | repeatable | CONVENTIONAL_QUERY))
            raise ValidationFailed(f"unknown parameter '{name}' (accepted here: {accepted})", field=name)
        if name in seen:
            raise ValidationFailed(f"{name} is given more than once", field=name)
        seen.add(name)


def _query_names(dependant: Any) -> tuple[set[str], set[str]]:
    """The query parameters a route declares, its dependencies' included: (read once, lists)."""
    single: set[str] = set()
    repeatable: set[str] = set()
    for p in dependant.query_params:
        (repeatable if field_annotation_is_sequence(p.field_info.annotation) else single).add(p.alias)
    for sub in dependant.dependencies:
        s, r = _query_names(sub)
        single |= s
        repeatable |= r
    return single, repeatable


def current_agent(request: Request, strict: bool = True) -> Agent | None:
    """The logged-in agent from a bearer token or a session cookie (with CSRF check).

    With ``strict=False`` (endpoints open to everyone) a cookie session whose
    unsafe request lacks the CSRF token is treated as anonymous instead of refused.
    """
    if "agent" in request.state._state:
        return request.state.agent  # type: ignore[no-any-return]
    agent = read_agent(request, strict)
    request.state.agent = agent
    return agent


def read_agent(request: Request, strict: bool = True) -> Agent | None:
    """``current_agent`` read from the database again, not from the request's memory (a live
    stream asks whether its session or token still holds)."""
    vigie = vigie_of(request)
    agent: Agent | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found = agent_for_token(vigie.db, auth[7:].strip(), "bearer")
        agent = found[0] if found else None
    elif SESSION_COOKIE in request.cookies:
        found = agent_for_token(vigie.db, request.cookies[SESSION_COOKIE], "session")
        if found:
            agent, csrf = found
            if request.method not in SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
                    if strict:
                        raise Forbidden("missing or wrong CSRF token (send it in X-CSRF-Token)")
                    agent = None
    return agent


def request_token(request: Request) -> str:
    """The login this request carries: its bearer token, else its session cookie ("" if none)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")


def same_origin(request: Request) -> bool:
    """Whether an unsafe request comes from this site's own pages (login CSRF defence).

    Browsers send ``Origin`` with every cross-site POST: it must be this
    instance's public origin or the host the request was sent to (an attacker's
    page cannot set a victim's ``Host``); ``null`` (sandboxed or privacy-stripped
    contexts) is refused. Without ``Origin``, a ``Referer`` must point here too.
    A request with neither comes from a non-browser client, which cannot carry
    a victim's cookies: the CSRF tokens stay the defence there.
    """
    allowed = {_origin_of(vigie_of(request).settings.public_base_url)}
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in allowed or (bool(host) and _netloc(origin) == host and origin != "null")
    referer = request.headers.get("referer")
    if referer:
        return _origin_of(referer) in allowed or (bool(host) and _netloc(referer) == host)
    return True


def form_is_ours(request: Request, sent: str, expected: str) -> bool:
    """Whether a form post comes from this site's own page (:func:`same_origin`) carrying
    the CSRF token that page was given (``expected``; an empty one never matches)."""
    if not (sent and expected and same_origin(request)):
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc if parts.scheme in ("http", "https") else ""


def client_id(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def needs_permission(code: str) -> Callable[[Request], None]:
    """A route dependency: 401 / 403 unless the caller holds the permission ``code``.

    The use cases check the role themselves (``accounts.permissions.require``), but inside the
    endpoint, after FastAPI has validated the body: a caller without the role got the 422
    describing the fields the body needs. Given to the route, the same check runs before.
    A plain ``def``: finding the agent may read the database.
    """
    if code not in PERMISSIONS:  # checked when the routes are declared, not at the first request
        raise ValueError(f"unknown permission '{code}'")

    def check(request: Request) -> None:
        require(current_agent(request), code)

    return check
