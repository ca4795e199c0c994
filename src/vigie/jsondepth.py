"""How deeply JSON text nests, checked before parsing it (HTTP bodies, MQTT payloads).

Python's JSON decoder recurses once per level: a few thousand ``[`` in a
request body or an MQTT payload reach the interpreter's recursion limit, and
orjson refuses to write more than 255 levels. Nothing Vigie reads nests more
than a few levels, so input deeper than :data:`MAX_DEPTH` is refused before
it is parsed. The check costs two ``bytes.count`` calls unless the text has
more than ``MAX_DEPTH`` opening brackets; only then is it scanned.
"""

from __future__ import annotations

import re

MAX_DEPTH = 32
TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep"

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
