"""The API documentation (/docs) works under its own Content-Security-Policy."""

from __future__ import annotations


def test_browser_docs_render_under_their_csp(new_context):
    ctx, _ = new_context()
    page = ctx.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    response = page.goto("/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI built the operations from /openapi.json
    assert page.locator(".opblock").count() > 20
    assert [m for m in messages if "Content Security Policy" in m] == []
