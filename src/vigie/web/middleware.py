"""ASGI middleware: body size limit and security headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class BodyLimitMiddleware:
    """Refuse oversize bodies with 413: early from Content-Length, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _too_large(scope, send, "invalid Content-Length", 400)
                    return
                if length > self.max_bytes:
                    await _too_large(
                        scope, send, f"request body is larger than {self.max_bytes} bytes"
                    )
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(scope, send, f"request body is larger than {self.max_bytes} bytes")


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(
        url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = urlsplit(url).netloc
    return f"{parts.scheme}://{host}"


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, detail: str, status: int = 413) -> None:
    path = scope.get("path", "")
    if path.startswith("/open311"):
        body = json.dumps([{"code": status, "description": detail}]).encode()
        ctype = b"application/json; charset=utf-8"
    else:
        body = json.dumps(
            {
                "type": "https://vigie.city/problems/payload_too_large",
                "title": "Payload too large",
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


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, tile_url: str = "") -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        origin = _origin(tile_url)
        if origin:
            # The configured tile server is the only third party a page may load from.
            self.headers = [
                (name, value.replace(b"img-src 'self'", b"img-src 'self' " + origin.encode()))
                for name, value in self.headers
            ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope.get("path", "") in ("/docs", "/redoc")

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {h[0].lower() for h in headers}
                for name, value in self.headers:
                    if name == b"content-security-policy" and docs:
                        continue
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)
