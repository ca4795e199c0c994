"""JSON text refused before it is parsed (HTTP bodies, MQTT payloads): too deep, not Unicode, or
holding a number too long for Python's decoder.

Python's JSON decoder recurses once per level: a few thousand ``[`` in a
request body or an MQTT payload reach the interpreter's recursion limit, and
orjson refuses to write more than 255 levels. Nothing Vigie reads nests more
than a few levels, so input deeper than :data:`MAX_DEPTH` is refused before
it is parsed. The check costs two ``bytes.count`` calls unless the text has
more than ``MAX_DEPTH`` opening brackets; only then is it scanned.

A ``\\uD800`` escape alone is valid JSON syntax but no character: Python's
decoder turns it into a string that cannot be written as UTF-8 — not to the
database, not even into the error answer that repeats it.
"""

from __future__ import annotations

import re

MAX_DEPTH = 32
TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep"
LONE_SURROGATE = "JSON holds half a surrogate pair (a \\uD800-\\uDFFF escape alone), which is no character"

_TOKENS = re.compile(rb'["\\\[\]{}]')
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = frozenset(b"[{")


def too_deep(text: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in JSON ``text`` nest more than ``limit`` levels.

    Brackets inside strings do not count. Text that is not JSON gives an
    answer that only says something about its brackets: parse it afterwards.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    skip_to = -1
    for match in _TOKENS.finditer(data):
        i = match.start()
        if i < skip_to:  # the character after a backslash
            continue
        c = data[i]
        if in_string:
            if c == _BACKSLASH:
                skip_to = i + 2
            elif c == _QUOTE:
                in_string = False
        elif c == _QUOTE:
            in_string = True
        elif c in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif c != _BACKSLASH:
            depth -= 1
    return False


# One escape per match: an escaped backslash is consumed whole, so the JSON text "\\uD800" (a
# backslash, then the letters uD800) holds no \u escape.
_ESCAPES = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def lone_surrogate(text: bytes) -> bool:
    """Whether JSON ``text`` has a ``\\u`` escape of a surrogate that is not half of a pair."""
    if b"\\u" not in text:
        return False
    pending = -1  # where the low half must start, after a high one
    for match in _ESCAPES.finditer(text):
        code = int(match.group(1), 16) if match.group(1) else -1
        if pending >= 0:
            if match.start() != pending or not 0xDC00 <= code <= 0xDFFF:
                return True
            pending = -1
        elif 0xD800 <= code <= 0xDBFF:
            pending = match.end()
        elif 0xDC00 <= code <= 0xDFFF:
            return True
    return pending >= 0


# Python's JSON decoder turns a number without fraction or exponent into an ``int``, and refuses
# one longer than the interpreter's limit on integer conversion (4,300 digits by default) with a
# ValueError that its callers report as "not JSON". No number Vigie reads comes near: such a body
# is refused before it is parsed, for what it is.
MAX_DIGITS = 4300
TOO_MANY_DIGITS = f"a number is too large to be read (more than {MAX_DIGITS} digits)"
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
_STRING_OR_LONG_DIGITS = re.compile(rb'["\\]|[0-9]{%d,}' % (MAX_DIGITS + 1))


def too_many_digits(text: bytes) -> bool:
    """Whether JSON ``text`` holds a number with more than :data:`MAX_DIGITS` digits in a row
    (digits inside strings do not count: a long reference is text, not a number)."""
    if len(text) <= MAX_DIGITS or not _LONG_DIGITS.search(text):
        return False
    in_string = False
    skip_to = -1
    for match in _STRING_OR_LONG_DIGITS.finditer(text):
        i = match.start()
        if i < skip_to:  # the character after a backslash
            continue
        c = text[i]
        if c == _BACKSLASH:
            if in_string:
                skip_to = i + 2
        elif c == _QUOTE:
            in_string = not in_string
        elif not in_string:
            return True
    return False


def refusal(text: bytes) -> str | None:
    """Why JSON ``text`` is refused before it is parsed (each check returns early on a text
    that cannot fail it), or ``None``: the one list the HTTP bodies and the report form's
    answers are held to."""
    if too_deep(text):
        return TOO_DEEP
    if lone_surrogate(text):
        return LONE_SURROGATE
    if too_many_digits(text):
        return TOO_MANY_DIGITS
    return None
