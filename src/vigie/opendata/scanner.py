"""The personal data scanner: run on every release file before it is published.

It reads the written Parquet file back (what reusers would get, not what the
builder meant to write) and looks in every text column for e-mail addresses,
phone numbers and the names of the residents who reported and of the agents
Vigie knows. Matching runs on each column's distinct values with RE2
(pyarrow.compute), so a million rows with a few thousand distinct values cost
little. A finding names the column and how many values, never the value.
Its patterns (EMAIL, PHONE) serve other checks too (the data lab's saved queries): the
scanning functions import numpy and pyarrow, the module does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# French numbers (0X XX XX XX XX, +33 X…, +33 (0)X…, 0033 X…) and international ones with a + prefix.
PHONE = (
    r"(\+33|0033)[ .-]?(\(0\)[ .-]?)?[1-9]([ .-]?[0-9]{2}){4}"
    r"|(^|[^0-9])0[1-9]([ .-]?[0-9]{2}){4}([^0-9]|$)"
    r"|\+[1-9][0-9]{0,2}[ .-]?[0-9]{2,4}([ .-]?[0-9]{2,4}){2,4}"
)
# Names are matched in batches: one RE2 program per batch stays within its memory budget.
NAME_BATCH = 2000


@dataclass(frozen=True)
class Finding:
    column: str
    what: str  # e-mail addresses, phone numbers, names of people
    values: int  # distinct values at fault
    kind: str = ""  # email, phone, name: the reason's code (scan.<kind>)

    def __str__(self) -> str:
        return f"column {self.column!r} holds {self.values} value(s) that look like {self.what}"

    def reason(self) -> dict[str, object]:
        """Its reason's code and values: the column and how many values, never a value."""
        return {"code": f"scan.{self.kind}", "params": {"column": self.column, "values": self.values}}


def usable_names(names: Iterable[str]) -> list[str]:
    """The names worth looking for: full names (two words or more), folded to one form.

    A single word ("Martin") is also a street, a saint, a commune: looking for it would
    block every release that names the rue Saint-Martin.
    """
    out = set()
    for name in names:
        words = name.split()
        if len(words) >= 2 and sum(len(w) for w in words) >= 5:
            out.add(" ".join(words))
    return sorted(out)


def scan_table(table: pa.Table, names: list[str]) -> list[Finding]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    findings: list[Finding] = []
    patterns = [(EMAIL, "e-mail addresses", "email"), (PHONE, "phone numbers", "phone")]
    name_patterns = [
        r"(^|[^\pL])("
        + "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in names[i : i + NAME_BATCH])
        + r")($|[^\pL])"
        for i in range(0, len(names), NAME_BATCH)
    ]
    # Every column's distinct values in one array: each (costly) name pattern runs once.
    labels: list[str] = []
    parts: list[pa.Array] = []
    for name in table.column_names:
        col = table[name]
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        values = pc.unique(col.combine_chunks()).drop_null().cast(pa.large_string())
        if len(values):
            labels.append(name)
            parts.append(values)
    if not parts:
        return findings
    values = pa.concat_arrays(parts)
    owner = np.repeat(np.arange(len(parts)), [len(p) for p in parts])

    def per_column(mask: pa.Array) -> np.ndarray:
        hits = mask.to_numpy(zero_copy_only=False).astype(bool)
        return np.bincount(owner[hits], minlength=len(parts))

    for pattern, what, kind in patterns:
        for i, n in enumerate(per_column(pc.match_substring_regex(values, pattern))):
            if n:
                findings.append(Finding(labels[i], what, int(n), kind))
    name_hits = np.zeros(len(parts), dtype="int64")
    for pattern in name_patterns:
        name_hits += per_column(pc.match_substring_regex(values, pattern, ignore_case=True))
    for i, n in enumerate(name_hits):
        if n:
            findings.append(Finding(labels[i], "names of residents or agents", int(n), "name"))
    return findings


def scan_file(path: Path, names: list[str]) -> list[Finding]:
    """Scan a written file; only its text columns are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    return scan_table(pq.read_table(path, columns=text), names) if text else []
