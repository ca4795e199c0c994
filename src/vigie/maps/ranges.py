"""HTTP range requests (RFC 9110 §14): what a ``Range`` header asks of a file of a given size.

Starlette's :class:`~starlette.responses.FileResponse` sends the parts; this module
decides first, so a bad header gets Vigie's own problem answer naming the fault
(400), and a range past the end gets 416 with ``Content-Range: bytes */size``, which
is what PMTiles clients read to learn the size of a small archive.
"""

from __future__ import annotations

import re

from vigie.errors import BadRequest, VigieError

MAX_RANGES = 16
_SPEC = re.compile(r"^(\d*)-(\d*)$")


class RangeNotSatisfiable(VigieError):
    status = 416
    code = "range_not_satisfiable"
    title = "Range not satisfiable"

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message, field="Range")
        self.size = size


def requested_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` byte ranges asked for (end exclusive), or None for the whole file.

    An end past the file is cut at its end (RFC 9110 §14.1.2); a range that starts past
    it makes the whole request unsatisfiable, as Starlette then answers.
    """
    if header is None:
        return None
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        raise BadRequest(
            f"Range: only byte ranges are served ('bytes=start-end'), not {header[:40]!r}", field="Range"
        )
    parts = [p.strip() for p in specs.split(",")]
    if len(parts) > MAX_RANGES:
        raise BadRequest(f"Range: at most {MAX_RANGES} ranges in one request", field="Range")
    out = []
    for part in parts:
        m = _SPEC.match(part)
        if not m or (not m.group(1) and not m.group(2)):
            raise BadRequest(
                f"Range: {part[:40]!r} is not a byte range ('start-end', 'start-' or '-length')",
                field="Range",
            )
        first, last = m.group(1), m.group(2)
        if not first:  # the last N bytes
            length = int(last)
            if length == 0:
                raise RangeNotSatisfiable("Range: '-0' asks for no byte at all", size)
            out.append((max(size - length, 0), size))
            continue
        start = int(first)
        end = size if not last else min(int(last) + 1, size)
        if last and int(last) < start:
            raise BadRequest(f"Range: {part!r} ends before it starts", field="Range")
        if start >= size:
            raise RangeNotSatisfiable(f"Range: {part!r} starts past the end of the {size}-byte file", size)
        out.append((start, end))
    return out
