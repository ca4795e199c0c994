"""Product text in French (default) and English.

Messages live in ``locales/<area>.<lang>.yaml`` files next to each context's
web code (flat ``key: text`` maps), merged at start-up. A missing English
text falls back to French, and a missing key shows the key itself so it is
noticed in review.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from starlette.requests import Request

LANGUAGES = ("fr", "en")
LANG_COOKIE = "vigie_lang"
PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    messages: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in sorted(PACKAGE.glob("*/locales/*.yaml")):
        area_lang = path.stem.rsplit(".", 1)
        if len(area_lang) != 2 or area_lang[1] not in LANGUAGES:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, text in data.items():
            if key in messages[area_lang[1]]:
                raise ValueError(f"{path}: message '{key}' is defined twice")
            messages[area_lang[1]][key] = str(text)
    return messages


class _KeepMissing(dict[str, object]):
    """Placeholders without a value stay as they are (``{n}`` is filled later by a script)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(lang: str, key: str, **values: object) -> str:
    messages = catalog()
    text = messages.get(lang, {}).get(key) or messages["fr"].get(key) or key
    return text.format_map(_KeepMissing(values)) if values else text


def city_terms(city: Any, lang: str) -> dict[str, str]:
    """The city profile's own words for product text: ``{zone}``, ``{zones_lower}``, ``{phone_service}``…"""
    terms: dict[str, str] = city.terms(lang)
    terms["phone_service"] = city.phone_service or translate(lang, "city.phone_service_default")
    return terms


def request_language(request: Request, default: str = "fr") -> str:
    """?lang= wins (and is remembered in a cookie by the page), then the cookie, then the browser."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default


def reason_text(lang: str, code: str, params: dict[str, Any] | None = None) -> str:
    """The text of a coded reason (an error's, a blocked release's) in ``lang``: ``reason.<code>``
    in the locales, numbers by the language's rules, lists among its values written ``a, b``."""
    from vigie.web.formats import number

    def written(value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(written(x)) for x in value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return number(value, lang)
        return value

    values = {k: written(v) for k, v in (params or {}).items()}
    return translate(lang, f"reason.{code}", **values) if values else translate(lang, f"reason.{code}")
