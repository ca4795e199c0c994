"""What the rules editor shows of a staged file, and the rules it proposes first.

For each column: how many distinct values it has and a few of them, so that the
staff member can choose its kind and rules without reading the file; and whether
it looks like personal data (the personal data scanner's e-mails, phone numbers
and known names, or a header that names a person's contact details). A column
that looks personal shows no value at all: the editor never displays a column of
personal data, only that it is one. The proposed rules drop those columns and
coarsen timestamps to the hour; the publisher changes them before proposing.

Imported by the functions that stage a file (pyarrow, numpy): not at the web app's start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from vigie.opendata.domain import NEVER_PUBLISHED, Column, ColumnKind, Rules
from vigie.opendata.scanner import scan_table

SAMPLE_VALUES = 5
SAMPLE_CHARS = 40
MASK = "•••"

# Headers that name a person or the means to reach one (French and English spreadsheets). A bare
# "nom" or "name" is left out: in the city's files it is mostly a car park's or a station's.
PERSONAL_HEADER = re.compile(
    r"(^|[^a-z])(pr[eé]nom|first_?name|last_?name|surname|full_?name|e?-?mails?|courriel|"
    r"t[eé]l|t[eé]l[eé]phone|phone|mobile|portable|gsm|contact|d[eé]clarant|auteur|author)"
    r"($|[^a-z])",
    re.IGNORECASE,
)


# Why a column looks personal, as a code the page words in its language.
SCANNED = {"e-mail addresses": "email", "phone numbers": "phone", "names of residents or agents": "name"}
WHY = ("email", "phone", "name", "header", "kind")


@dataclass(frozen=True)
class Profile:
    name: str
    distinct: int
    sample: tuple[Any, ...]
    personal: str  # why it looks like personal data (one of WHY; "" when it does not)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distinct": self.distinct,
            "sample": list(self.sample),
            "personal": self.personal,
        }


def profile_columns(table: pa.Table, columns: tuple[Column, ...], names: list[str]) -> list[Profile]:
    """Each declared column's distinct count, a few values, and whether it looks personal."""
    found: dict[str, str] = {}
    for f in scan_table(table, names):
        found.setdefault(f.column, SCANNED.get(f.what, "name"))
    # By position: looking a name up in a table's schema is linear (20,000 columns: quadratic).
    arrays = dict(zip(table.column_names, table.columns, strict=True))
    out = []
    for c in columns:
        why = found.get(c.name, "")
        if not why and PERSONAL_HEADER.search(c.name):
            why = "header"
        if not why and c.kind in NEVER_PUBLISHED:
            why = "kind"
        column = arrays.get(c.name)
        if column is None:
            out.append(Profile(c.name, 0, (), why))
            continue
        values = pc.unique(column.combine_chunks()).drop_null()
        sample = () if why else tuple(_plain(x) for x in values.slice(0, SAMPLE_VALUES).to_pylist())
        out.append(Profile(c.name, len(values), sample, why))
    return out


def masked_rows(rows: list[dict[str, Any]], profiles: list[Profile]) -> list[dict[str, Any]]:
    """The preview's first rows with every value of a personal-looking column masked."""
    personal = {p.name for p in profiles if p.personal}
    if not personal:
        return rows
    return [{k: (MASK if k in personal and v not in (None, "") else v) for k, v in r.items()} for r in rows]


def suggested_rules(columns: tuple[Column, ...], profiles: list[Profile]) -> Rules:
    """The rules the editor starts from: personal-looking columns dropped, timestamps to the hour."""
    personal = {p.name for p in profiles if p.personal}
    drop = tuple(c.name for c in columns if c.name in personal)
    time = {c.name: "hour" for c in columns if c.kind == ColumnKind.TIME and c.type == "timestamp"}
    counts = any(c.kind == ColumnKind.COUNT for c in columns)
    return Rules(drop=drop, time=time, min_count=5 if counts else 0)


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= SAMPLE_CHARS else value[: SAMPLE_CHARS - 1] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
