"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser).

Every page visit is checked by helpers here: axe-core finds no serious or
critical accessibility violation, and no request leaves 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.live import LiveServer

CHROMIUM = os.environ.get("VIGIE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The README's screenshots are refreshed on purpose (`make screenshots`); an ordinary
# test run writes its own under var/, leaving the committed ones alone.
SCREENSHOTS = ROOT / ("docs" if os.environ.get("VIGIE_UPDATE_SCREENSHOTS") else "var") / "screenshots"
# How long an expect(...) waits for the page to reach the state it names: Playwright's own
# bound for actions and navigations, not its 5 s expect default, which a page on a loaded
# 2-core CI machine (live stream reconnecting, 34,000 lights, other workers) overran. A bound
# on a wait, never on a duration: a healthy page passes as soon as the state is there.
EXPECT_TIMEOUT_MS = 30_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's `pytestmark` marks nothing: every browser test is marked here (a few
    # seconds each, so also `slow`).
    missing = not Path(CHROMIUM).exists()
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (.ci/run installs Debian's chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
            if missing:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def live(vigie) -> Iterator[LiveServer]:
    server = LiveServer(vigie)
    # Absolute links are written from the settings' public address, as in production: the
    # browser's links must reach this server (the OGC API's pages link absolutely).
    vigie.settings.public_base_url = server.url
    with server:
        yield server


class Watch:
    """Requests seen by a browser context; anything not on 127.0.0.1 is a privacy failure."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def third_party(self) -> list[str]:
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about", "chrome-extension"):
                continue
            if parts.hostname not in ("127.0.0.1", "localhost"):
                out.append(url)
        return out


@pytest.fixture
def new_context(browser, live):  # type: ignore[no-untyped-def]
    """new_context(phone=False, **options) -> (context, watch)."""
    contexts = []

    def make(phone: bool = False, **options):  # type: ignore[no-untyped-def]
        if phone:
            options.setdefault("viewport", {"width": 390, "height": 844})
            options.setdefault("device_scale_factor", 2)
            options.setdefault("is_mobile", True)
            options.setdefault("has_touch", True)
        options.setdefault("locale", "fr-FR")
        ctx = browser.new_context(base_url=live.url, **options)
        watch = Watch()
        ctx.on("request", lambda req: watch.urls.append(req.url))
        contexts.append((ctx, watch))
        return ctx, watch

    yield make
    for ctx, watch in contexts:
        ctx.close()
        assert watch.third_party() == [], f"requests to third parties: {watch.third_party()}"


def check_a11y(page, context: str = "") -> None:  # type: ignore[no-untyped-def]
    """axe-core (from npm) on the current page: no serious or critical violation."""
    if not AXE.exists():
        pytest.fail(f"{AXE} missing: run `npm ci`")
    # The caller's expect saw the page it wanted, maybe still being parsed (its deferred scripts
    # yet to run): axe reads the whole page. A navigation still to come is the caller's to await.
    page.wait_for_load_state("load")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    options = "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}"
    result = page.evaluate(f"async () => await axe.run(document, {options})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"accessibility violations {context}: {bad}"


@contextmanager
def address_suggestions(page, text: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Around typing ``text`` into an address box: returns once the suggestions for the whole
    text have come back.

    Typed key by key on a loaded machine, a pause between two keys longer than the box's
    debounce sends the search of a prefix: its options show (an expect on them passes), then
    the answer for the whole text replaces them, and with them the option an arrow key had
    made active.
    """

    def whole(response) -> bool:  # type: ignore[no-untyped-def]
        url = urlsplit(response.url)
        return url.path == "/api/v1/addresses/search" and parse_qs(url.query).get("q") == [text.strip()]

    with page.expect_response(whole) as answer:
        yield
    answer.value.finished()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def login(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Signs in and returns on the page the form led to (the role's home, or the form again).

    The click only starts the form's navigation: a goto() issued before it ends cancels it
    (sometimes before the session cookie is stored) and a page read meanwhile is the old one.
    """
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
