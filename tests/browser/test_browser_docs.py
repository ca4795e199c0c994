"""The API documentation (/docs) works under its own Content-Security-Policy."""

from __future__ import annotations

from collections import Counter

from playwright.sync_api import expect


def _open_docs(new_context):  # type: ignore[no-untyped-def]
    ctx, _ = new_context()
    page = ctx.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    response = page.goto("/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI built the tags from /openapi.json.
    expect(page.locator(".opblock-tag").first).to_be_attached()
    return page, messages


def test_browser_docs_render_under_their_csp(new_context):
    page, messages = _open_docs(new_context)
    page.locator('.opblock-tag[data-tag="reports"]').click()
    expect(page.locator(".opblock").nth(5)).to_be_attached()  # more than 5 operations
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_browser_docs_render_every_tag(new_context):
    # Swagger UI virtualises a list of 150 rows or more (tags and the operations of open tags):
    # with every tag open, only the first 11 operations were in the page. Tags start collapsed,
    # so every tag is there, and each one opened lists every operation it has.
    page, _ = _open_docs(new_context)
    spec = page.evaluate("() => fetch('/openapi.json').then(r => r.json())")
    expected = Counter(tag for item in spec["paths"].values() for op in item.values() for tag in op["tags"])
    shown = page.eval_on_selector_all(".opblock-tag", "els => els.map(e => e.dataset.tag)")
    assert sorted(shown) == sorted(expected)
    for tag, count in expected.items():
        section = page.locator(".opblock-tag-section", has=page.locator(f'.opblock-tag[data-tag="{tag}"]'))
        section.locator(".opblock-tag").click()
        expect(section.locator(".opblock"), tag).to_have_count(count)
        section.locator(".opblock-tag").click()
