"""Jinja2 pages: one environment, templates from every context's ``templates/`` dir."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from vigie.web import formats
from vigie.web.deps import SESSION_COOKIE
from vigie.web.i18n import LANG_COOKIE, city_terms, request_language, translate

PACKAGE = Path(__file__).resolve().parent.parent
STATIC = PACKAGE / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    dirs = [str(PACKAGE / "web" / "templates")] + [
        str(p) for p in sorted(PACKAGE.glob("*/templates")) if p.parent.name != "web"
    ]
    env = Environment(
        loader=FileSystemLoader(dirs),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = asset_url
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return env


@lru_cache(maxsize=512)
def _digest(path: str) -> str:
    target = STATIC / path
    try:
        return hashlib.sha256(target.read_bytes()).hexdigest()[:10]
    except OSError:
        return "missing"


def asset_url(path: str) -> str:
    """URL of a static file with a content hash, so it can be cached for a long time."""
    return f"/static/{path}?v={_digest(path)}"


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    v = request.app.state.vigie
    lang = request_language(request, v.city.default_language)

    terms = city_terms(v.city, lang)

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **{**terms, **values})

    page = {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "fr" else "fr",
        "t": t,
        # Numbers and dates by the language's rules (Babel): num(10.0, 1) is "10,0" in French.
        "num": lambda value, digits=None: formats.number(value, lang, digits),
        # plural("x.count", n) is t("x.count_one") or t("x.count_other") by the language's rule.
        "plural": lambda key, n, **values: t(
            f"{key}_{formats.plural_form(n, lang)}", **{"n": formats.number(n, lang), **values}
        ),
        "when": lambda value: formats.when(value, lang, v.city.timezone),
        "city": v.city,
        "settings": v.settings,
        "path": request.url.path,
        "json_data": lambda data: Markup(  # noqa: S704 - JSON escaped for a <script type=application/json>
            json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        ),
        **context,
    }
    html = environment().get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in ("fr", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def has_session(request: Request) -> bool:
    return SESSION_COOKIE in request.cookies
