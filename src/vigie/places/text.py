"""Folded text for matching what people type (lower case, no accents, words only)."""

from __future__ import annotations

import re
import unicodedata

_WORDS = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORDS.split(plain)).strip()


__all__ = ["fold"]
