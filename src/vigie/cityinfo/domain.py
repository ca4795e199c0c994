"""Information pages: what a page must be, and Markdown rendered safely.

Markdown is rendered by markdown-it with raw HTML off: tags written in a page
are shown as text, never passed to the browser; links keep only http(s),
mailto and tel addresses (markdown-it's own validation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from vigie.errors import ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_BODY = 50_000
MAX_TITLE = 200


@dataclass(frozen=True)
class InfoPage:
    slug: str
    title_fr: str
    title_en: str
    body_fr: str
    body_en: str
    position: int = 0

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else "") or self.title_fr

    def body(self, lang: str) -> str:
        return (self.body_en if lang == "en" else "") or self.body_fr


def check_page(slug: str, data: dict[str, object]) -> InfoPage:
    if not SLUG.match(slug):
        raise ValidationFailed(
            "the page's address is lower-case letters, digits and hyphens (64 at most)", field="slug"
        )
    out: dict[str, str] = {}
    for name, limit, required in (
        ("title_fr", MAX_TITLE, True),
        ("title_en", MAX_TITLE, False),
        ("body_fr", MAX_BODY, True),
        ("body_en", MAX_BODY, False),
    ):
        value = data.get(name, "")
        if not isinstance(value, str):
            raise ValidationFailed(f"{name} must be text", field=name)
        value = value.strip()
        if required and not value:
            raise ValidationFailed(f"{name} is required", field=name)
        if len(value) > limit:
            raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
        if "\x00" in value:
            raise ValidationFailed(f"{name} contains a NUL character", field=name)
        out[name] = value
    position = data.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 1000:
        raise ValidationFailed("position is a whole number from 0 to 1000", field="position")
    return InfoPage(slug, out["title_fr"], out["title_en"], out["body_fr"], out["body_en"], position)


@lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    from markdown_it import MarkdownIt

    html = MarkdownIt("js-default").render(text)
    return Markup(html)  # noqa: S704 - markdown-it escapes the text (its html option is off)


__all__ = ["InfoPage", "check_page", "render_markdown"]
