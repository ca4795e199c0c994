"""ASGI middleware: input checks (size, UTF-8, JSON depth) and security headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigie.web.deps import SESSION_COOKIE
from vigie.web.inputs import BadInput, BodyCheck, body_check, check_url

SESSION = SESSION_COOKIE.encode()

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), geolocation=(self), microphone=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
]


class InputMiddleware:
    """Checks what comes in before the app reads it (see :mod:`vigie.web.inputs`).

    Oversize bodies get 413: early from Content-Length, else while streaming.
    A URL or a text body that is not UTF-8, a URL holding NUL, a JSON body
    nested too deeply get 400, from the first chunk that shows it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        check: BodyCheck | None = None
        try:
            check_url(scope.get("raw_path") or scope.get("path", "").encode(), scope.get("query_string", b""))
        except BadInput as exc:
            await _refuse(scope, send, str(exc), 400)
            return
        seen: set[bytes] = set()
        for name, value in scope.get("headers", []):
            if name in _SINGLE:
                # The checks below read one value and the app another (Starlette takes the
                # first): a second header would let a body pass the checks unread.
                if name in seen:
                    await _refuse(scope, send, f"more than one {_SINGLE[name]} header", 400)
                    return
                seen.add(name)
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _refuse(scope, send, "invalid Content-Length", 400)
                    return
                if length > self.max_bytes:
                    await _refuse(scope, send, f"request body is larger than {self.max_bytes} bytes")
                    return
            elif name == b"content-type":
                check = body_check(value)
        received = 0
        started = False
        refused: _Refused | None = None

        async def checked_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    refused = _Refused(f"request body is larger than {self.max_bytes} bytes", 413)
                    raise refused
                if check is not None:
                    try:
                        check.feed(chunk, not message.get("more_body", False))
                    except BadInput as exc:
                        refused = _Refused(str(exc), 400)
                        raise refused from None
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused is not None:
                # The app caught the refusal while reading the body (FastAPI answers "There
                # was an error parsing the body"): the client gets the reason instead.
                if not started:
                    started = True
                    await _refuse(scope, send, refused.detail, refused.status)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, checked_receive, tracking_send)
        except _Refused as exc:
            if not started:
                await _refuse(scope, send, exc.detail, exc.status)


# Headers a request may carry once.
_SINGLE = {b"content-length": "Content-Length", b"content-type": "Content-Type"}


class _Refused(Exception):
    def __init__(self, detail: str, status: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


async def _refuse(scope: Scope, send: Send, detail: str, status: int = 413) -> None:
    path = scope.get("path", "")
    if path.startswith("/open311"):
        body = json.dumps([{"code": status, "description": detail}]).encode()
        ctype = b"application/json; charset=utf-8"
    else:
        too_large = status == 413
        code = "payload_too_large" if too_large else "bad_request"
        title = "Payload too large" if too_large else "Bad request"
        body = json.dumps(
            {
                "type": f"https://vigie.city/problems/{code}",
                "title": title,
                "status": status,
                "detail": detail,
            }
        ).encode()
        ctype = b"application/problem+json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Swagger UI (/docs) sets style attributes and shows data: images; its scripts are
# local files like every page's, so scripts stay limited to 'self'.
DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    b"connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    """Security headers on every answer, the early refusals of :class:`InputMiddleware` included.

    With an https public URL, browsers are told to come back over https only
    (HSTS). An answer to a request that carries an agent's credentials (bearer
    token or session cookie) may show reporters' contact data: unless its
    handler chose a caching policy, no cache may keep it (``no-store``).
    """

    def __init__(self, app: ASGIApp, tile_origin: str = "", https: bool = False) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if tile_origin:
            # The configured tile server is the only third party a page may load from.
            self.headers = [
                (name, value.replace(b"img-src 'self'", b"img-src 'self' " + tile_origin.encode()))
                for name, value in self.headers
            ]
        if https:
            self.headers.append(HSTS)
        self.docs_headers = [
            (name, DOCS_CSP if name == b"content-security-policy" else value) for name, value in self.headers
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = self.docs_headers if scope.get("path", "") == "/docs" else self.headers
        credentials = False
        for name, value in scope.get("headers", ()):
            if name == b"authorization" or (name == b"cookie" and SESSION in value):
                credentials = True
                break

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {h[0].lower() for h in headers}
                for name, value in own:
                    if name not in present:
                        headers.append((name, value))
                if credentials and b"cache-control" not in present:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)
