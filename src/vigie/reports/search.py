"""Word search over reports' description and address, through each backend's index.

The words match as one piece of text anywhere in the description or the address,
whatever the case (Unicode case folding: "ÉGOUT" finds "égout"), accents kept
("egout" does not find "égout"), the same on both backends:

- SQLite: ``reports_search``, an FTS5 table with the trigram tokenizer over the
  two columns; its content is the ``reports`` table itself (external content) and
  triggers keep its index in step with every insert, update and delete. A phrase
  query of the words is a substring match that reads the index only.
- PostgreSQL: pg_trgm's GIN indexes on the two columns serve ``ILIKE '%words%'``.

A word common in the reports (a street's name, "lampadaire") is found faster by
reading the newest rows until a page is full than through the index, which
yields every match before any is sorted; a rare one only through the index. On
SQLite, :func:`bounded_scan_first` reads rows for a few milliseconds and turns to
the index past them; PostgreSQL's planner weighs the two from its statistics.

A trigram index needs three characters: shorter words are always looked for by
reading the rows (``vigie_lower`` on SQLite, Python's ``str.lower`` registered on each
connection by :mod:`vigie.db`: SQLite's own ``lower()`` folds ASCII letters only).

These objects live outside the SQLAlchemy metadata (an FTS5 table, its shadow
tables and triggers; indexes with an operator class on one backend only): the
migration that made them (0034) is their definition, and :func:`is_search_object`
tells the schema comparisons and the backup to leave them alone. A migration
that rebuilds ``reports`` on SQLite (Alembic's batch mode copies the table)
drops its triggers and must create them again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import String, bindparam
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean

T = TypeVar("T")
FTS_TABLE = "reports_search"
PG_INDEXES = ("ix_reports_description_trgm", "ix_reports_address_trgm")
TRIGRAM = 3
SCAN_BUDGET_S = 0.03  # reading rows this long finds a page of a common word; then the index


def is_search_object(name: str | None) -> bool:
    """A table or index of the word search (kept out of the metadata on purpose)."""
    return bool(name) and (name == FTS_TABLE or str(name).startswith(FTS_TABLE + "_") or name in PG_INDEXES)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class WordSearch(ColumnElement[bool]):
    """``words`` found in a report's description or address (see the module's docstring)."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("phrase", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
        ("folded", InternalTraversal.dp_clauseelement),
        ("indexed", InternalTraversal.dp_boolean),
    ]

    def __init__(self, words: str, scan: bool = False) -> None:
        self.indexed = len(words) >= TRIGRAM and not scan
        # An FTS5 phrase is a double-quoted string (a quote inside is doubled); it never reads
        # the words as query syntax.
        self.phrase = bindparam("search_phrase", '"' + words.replace('"', '""') + '"', type_=String)
        self.pattern = bindparam("search_pattern", f"%{_escape_like(words)}%", type_=String)
        self.folded = bindparam("search_folded", f"%{_escape_like(words.lower())}%", type_=String)


@compiles(WordSearch, "sqlite")
def _sqlite(element: WordSearch, compiler: Any, **kw: Any) -> str:
    if element.indexed:
        phrase = compiler.process(element.phrase, **kw)
        return f"reports.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {phrase})"  # noqa: S608
    folded = compiler.process(element.folded, **kw)
    return (
        f"(vigie_lower(reports.description) LIKE {folded} ESCAPE '\\' "
        f"OR vigie_lower(reports.address) LIKE {folded} ESCAPE '\\')"
    )


@compiles(WordSearch)
def _postgresql(element: WordSearch, compiler: Any, **kw: Any) -> str:
    pattern = compiler.process(element.pattern, **kw)
    return f"(reports.description ILIKE {pattern} ESCAPE '\\' OR reports.address ILIKE {pattern} ESCAPE '\\')"


def words_condition(words: str, scan: bool = False) -> ColumnElement[bool]:
    """The condition for a search by words (already stripped; never empty).

    ``scan``: read the rows on SQLite rather than the index (same answers).
    """
    return WordSearch(words, scan)


def bounded_scan_first(conn: Any, words: str, run: Callable[[bool], T]) -> T:
    """``run(scan)`` reading rows for at most ``SCAN_BUDGET_S``, then through the index.

    ``run`` builds its statements with ``words_condition(words, scan)``. Only on SQLite,
    and only for words the index can serve: elsewhere ``run(False)`` once.
    """
    if conn.dialect.name != "sqlite" or len(words) < TRIGRAM:
        return run(False)
    raw = conn.connection.dbapi_connection
    deadline = time.perf_counter() + SCAN_BUDGET_S
    raw.set_progress_handler(lambda: time.perf_counter() > deadline, 20_000)
    try:
        return run(True)
    except OperationalError as exc:
        if not (isinstance(exc.orig, sqlite3.OperationalError) and "interrupt" in str(exc.orig)):
            raise
    finally:
        raw.set_progress_handler(None, 0)
    return run(False)


__all__ = [
    "FTS_TABLE",
    "PG_INDEXES",
    "WordSearch",
    "bounded_scan_first",
    "is_search_object",
    "words_condition",
]
