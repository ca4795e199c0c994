"""The personal data scanner's patterns on the ways people write phone numbers and addresses."""

from __future__ import annotations

import pyarrow as pa
import pytest

from vigie.opendata.scanner import scan_table


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("06 12 34 56 78", "phone numbers"),
        ("06.12.34.56.78", "phone numbers"),
        ("0612345678", "phone numbers"),
        ("+33 6 12 34 56 78", "phone numbers"),
        # the international form with the national 0 in brackets, as French letterheads write it
        ("+33 (0)6 12 34 56 78", "phone numbers"),
        ("+33(0)612345678", "phone numbers"),
        ("0033 6 12 34 56 78", "phone numbers"),
        ("jean.dupont@example.org", "e-mail addresses"),
    ],
)
def test_opendata_scanner_finds_contact_data_as_people_write_it(value, what):
    findings = scan_table(pa.table({"texte": [f"joindre {value} le matin", "rien"]}), [])
    assert [(f.column, f.what, f.values) for f in findings] == [("texte", what, 1)]


@pytest.mark.parametrize("value", ["Rue de la Liberté", "2026-03-01", "21000 Dijon", "DIJ-2026-000123"])
def test_opendata_scanner_leaves_ordinary_values_alone(value):
    assert scan_table(pa.table({"texte": [value]}), []) == []
