"""The API documentation (/docs) works under its own Content-Security-Policy."""

from __future__ import annotations

import pytest


def _open_docs(new_context):  # type: ignore[no-untyped-def]
    ctx, _ = new_context()
    page = ctx.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    response = page.goto("/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI built operations from /openapi.json
    return page, messages


def test_browser_docs_render_under_their_csp(new_context):
    page, messages = _open_docs(new_context)
    assert page.locator(".opblock").count() > 5
    assert [m for m in messages if "Content Security Policy" in m] == []


@pytest.mark.xfail(
    strict=True,
    reason="known bug: Swagger UI stops after POST /api/v1/reports (11 of about 150 operations); "
    "/openapi.json itself is complete and its $refs resolve (tests/test_docs_meta.py)",
)
def test_browser_docs_render_every_tag(new_context):
    page, _ = _open_docs(new_context)
    page.wait_for_function("() => document.querySelectorAll('.opblock').length > 20", timeout=20_000)
