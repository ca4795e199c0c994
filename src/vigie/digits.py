"""Whole numbers written in text a client sends (a URL's ids, limits and pages): ASCII digits only.

Python reads more than that as a number: ``int()`` takes ``"1_0"`` for 10, ``" 5"`` for 5 and
other scripts' digits (Arabic-Indic ``"٥"``) for ours, and ``str.isdigit()`` says yes to
superscripts and circled digits (``"²"``, ``"①"``) that ``int()`` then refuses with a
ValueError nobody caught (a 500). A client's typo must not become another page or an error of
the server: these functions accept ``[0-9]+`` (with a ``-`` where a negative number means
something) and nothing else.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")
_WHOLE = re.compile(r"-?[0-9]+")


def is_digits(text: str) -> bool:
    """Whether ``text`` is ASCII digits only (an id, a count), not empty."""
    return _DIGITS.fullmatch(text) is not None


def whole_number(text: str) -> int | None:
    """``text`` as a whole number (``-?[0-9]+``), or None when it is not one."""
    return int(text) if _WHOLE.fullmatch(text) is not None else None


__all__ = ["is_digits", "whole_number"]
