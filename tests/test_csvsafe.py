"""Text cells a spreadsheet would run as formulas are escaped; numbers are left alone."""

from __future__ import annotations

import csv
import io

import pyarrow as pa

from vigie import csvsafe

RISKY = ["=1+1", "+33 par ici", "-rue", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("https://x.example")']
PLAIN = ["Darcy", "", "1+1", " =1", "'=déjà échappé"]


def test_csvsafe_cell_prefixes_formula_text_only():
    assert [csvsafe.cell(v) for v in RISKY] == ["'" + v for v in RISKY]
    assert [csvsafe.cell(v) for v in PLAIN] == PLAIN
    assert [csvsafe.cell(v) for v in (-3, -2.5, 0, None, True)] == [-3, -2.5, 0, None, True]


def test_csvsafe_writer_writes_escaped_text_and_plain_numbers():
    out = io.StringIO()
    csvsafe.writer(out).writerows([["=1+1", -4.5, -7], ["Darcy", 3, None]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-4.5", "-7"], ["Darcy", "3", ""]]


def test_csvsafe_arrow_batch_escapes_text_columns_and_keeps_numbers():
    batch = pa.record_batch(
        {
            "text": pa.array([*RISKY, *PLAIN, None]),
            "big": pa.array(["-x", "y", None, *[""] * 10], type=pa.large_string()),
            "coded": pa.array(["=a", "b", "=a", *["b"] * 10]).dictionary_encode(),
            "n": pa.array([-1.5, *range(12)], type=pa.float64()),
        }
    )
    safe = csvsafe.arrow_batch(batch)
    assert safe.column("text").to_pylist() == ["'" + v for v in RISKY] + PLAIN + [None]
    assert safe.column("big").to_pylist()[:3] == ["'-x", "y", None]
    assert safe.column("coded").to_pylist()[:3] == ["'=a", "b", "'=a"]
    assert safe.column("n").type == pa.float64() and safe.column("n").to_pylist()[0] == -1.5
    clean = pa.record_batch({"text": pa.array(["a", "b"]), "n": pa.array([-1, 2])})
    assert csvsafe.arrow_batch(clean) is clean
