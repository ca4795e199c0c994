"""Every reason code has its text in French and in English and is listed in the API's docs."""

from __future__ import annotations

import re
from pathlib import Path

from vigie.web.i18n import catalog, reason_text

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "vigie" / "opendata"


def _codes(lang: str) -> set[str]:
    return {k.removeprefix("reason.") for k in catalog()[lang] if k.startswith("reason.")}


def test_opendata_reason_codes_in_both_languages_and_documented() -> None:
    fr, en = _codes("fr"), _codes("en")
    assert fr == en and fr
    docs = (ROOT / "docs" / "opendata-api.md").read_text(encoding="utf-8")
    assert [c for c in sorted(fr) if f"`{c}`" not in docs] == []
    for code in fr:  # the same values named in both languages
        names = [set(re.findall(r"\{(\w+)\}", catalog()[lang][f"reason.{code}"])) for lang in ("fr", "en")]
        assert names[0] == names[1], code


def test_opendata_reason_codes_raised_in_the_code_have_texts() -> None:
    raised = set()
    for path in SOURCES.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'reason="([a-z_]+\.[a-z_]+)"', text))
        raised |= set(re.findall(r'"((?:lab|upload|charter|scan)\.[a-z_]+)"', text))
    assert raised and [c for c in sorted(raised) if c not in _codes("en")] == []


def test_opendata_reason_text_writes_numbers_by_the_language() -> None:
    assert reason_text("fr", "lab.too_long", {"max": 20000}).startswith(
        "La requête dépasse 20\u202f000 caractères"
    )
    assert reason_text("en", "lab.too_long", {"max": 20000}).startswith(
        "The query is longer than 20,000 characters"
    )
    assert reason_text("en", "lab.statements", {"found": 2}).endswith("the query holds 2.")
