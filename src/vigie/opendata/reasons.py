"""Why a release is blocked, as codes with their values (``{"code", "params"}``, kept with the
release: ``ReleaseRow.reasons``), shown in the reader's language (``reason.<code>`` in the
locales; docs/opendata-api.md lists the codes). Plain Python: the web pages read it without
pyarrow."""

from __future__ import annotations

from typing import Any

from vigie.web.i18n import reason_text


def reason_texts(reasons: list[dict[str, Any]] | None, text: str, lang: str) -> list[str]:
    """A blocked release's reasons in ``lang``; a release blocked before reasons had codes
    shows its English text as it was kept."""
    if not reasons:
        return [text] if text else []
    return [reason_text(lang, r["code"], r.get("params")) for r in reasons]


def reasons_json(reasons: list[dict[str, Any]] | None, text: str, lang: str) -> list[dict[str, Any]]:
    """The API's reasons: each its stable code, its values and its text in ``lang``; an older
    release's English text has no code (``null``)."""
    if not reasons:
        return [{"code": None, "params": {}, "message": text}] if text else []
    return [
        {"code": r["code"], "params": r.get("params") or {}, "message": m}
        for r, m in zip(reasons, reason_texts(reasons, text, lang), strict=True)
    ]


__all__ = ["reason_texts", "reasons_json"]
