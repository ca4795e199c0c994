"""Parts of the docs generated from code, between two HTML comments.

`make settings-doc` rewrites them and the docs meta-tests compare them, so a doc
cannot drift from the registry or schema it describes.
"""

from __future__ import annotations

from pathlib import Path


def with_section(doc: str, start: str, end: str, body: str) -> str:
    """``doc`` with what stands between the ``start`` and ``end`` markers replaced by ``body``."""
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}{end}{tail}"


def rewrite_section(path: str | Path, start: str, end: str, body: str) -> None:
    doc = Path(path)
    doc.write_text(with_section(doc.read_text(encoding="utf-8"), start, end, body), encoding="utf-8")
