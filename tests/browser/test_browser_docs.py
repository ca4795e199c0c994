"""The API documentation (/docs) works under its own Content-Security-Policy."""

from __future__ import annotations


def test_browser_docs_render_under_their_csp(new_context):
    ctx, _ = new_context()
    page = ctx.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    response = page.goto("/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI builds the operations from /openapi.json, a few at a time on a long API.
    page.wait_for_function("document.querySelectorAll('.opblock').length > 20", timeout=30_000)
    assert [m for m in messages if "Content Security Policy" in m] == []
