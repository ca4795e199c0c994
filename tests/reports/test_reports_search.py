"""Word search over reports' text: the same answers on SQLite (FTS5) and PostgreSQL (pg_trgm)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from tests.reports.helpers import submit_report
from vigie.reports.search import words_condition
from vigie.reports.storage import ReportRow

TEXTS = {
    "upper": ("ÉGOUT BOUCHÉ devant l'ÉCOLE", "3 rue Monge, Dijon"),
    "lower": ("égout débordant", "12 place Darcy, Dijon"),
    "plain": ("Chaussée effondrée", "Rue de la Liberté, Dijon"),
    "symbols": ('Panneau "STOP" tordu, 100%_ illisible', ""),
    "edge": ("trou abc", "def rue Chabot-Charny"),
}


@pytest.fixture(scope="module")
def texts(module_vigie):
    return {
        key: submit_report(module_vigie, description=description, address=address)
        for key, (description, address) in TEXTS.items()
    }


def found(vigie, words: str, scan: bool = False) -> set[int]:
    with vigie.db.engine.connect() as conn:
        return set(conn.scalars(select(ReportRow.id).where(words_condition(words, scan))))


@pytest.mark.parametrize(
    ("words", "keys"),
    [
        ("égout", {"upper", "lower"}),  # the case of accented capitals folds
        ("ÉGOUT", {"upper", "lower"}),
        ("egout", set()),  # accents are kept
        ("EFFONDRÉE", {"plain"}),
        ("place darcy", {"lower"}),  # the address, words and spaces as written
        ("rue m", {"upper"}),
        ("liberté, dijon", {"plain"}),
        ('"stop"', {"symbols"}),  # quotes are text, never query syntax
        ("100%_", {"symbols"}),  # so are LIKE's wildcards
        ("100%x", set()),
        ("abcdef", set()),  # never across the end of the description and the address
        ("é", {"upper", "lower", "plain"}),  # shorter than a trigram: read from the rows
        ("ÉC", {"upper"}),
        ("%", {"symbols"}),
    ],
)
def test_reports_search_matches_words_as_written_whatever_the_case(module_vigie, texts, words, keys):
    assert found(module_vigie, words) == {texts[k] for k in keys}
    # Reading the rows instead of the index (a common word on SQLite) answers the same.
    assert found(module_vigie, words, scan=True) == {texts[k] for k in keys}


def test_reports_search_turns_to_the_index_when_reading_rows_takes_too_long(module_vigie, texts, monkeypatch):
    from vigie.reports import search

    tries: list[bool] = []

    def run(conn, scan):
        tries.append(scan)
        if scan:  # a scan that outlasts its budget: SQLite interrupts it
            conn.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
            )
        return set(conn.scalars(select(ReportRow.id).where(words_condition("égout", scan))))

    monkeypatch.setattr(search, "SCAN_BUDGET_S", 0.01)
    with module_vigie.db.engine.connect() as conn:
        assert search.bounded_scan_first(conn, "égout", lambda scan: run(conn, scan)) == {
            texts["upper"],
            texts["lower"],
        }
        assert search.bounded_scan_first(conn, "ég", lambda scan: run(conn, scan)) == {
            texts["upper"],
            texts["lower"],
        }
    sqlite = module_vigie.db.dialect == "sqlite"
    assert tries == ([True, False, False] if sqlite else [False, False])


def test_reports_search_follows_changes_and_deletions(vigie):
    kept = submit_report(vigie, description="Lampadaire éteint", address="rue des Godrans")
    gone = submit_report(vigie, description="Lampadaire clignotant")
    assert found(vigie, "lampadaire") == {kept, gone}
    with vigie.db.session(write=True) as s:
        # An erasure or a correction rewrites the text; the index follows it.
        s.execute(update(ReportRow).where(ReportRow.id == kept).values(description="[effacé]"))
        s.execute(update(ReportRow).where(ReportRow.id == gone).values(status="resolved"))
        s.commit()
    assert found(vigie, "lampadaire") == {gone}
    assert found(vigie, "effacé") == {kept}
    assert found(vigie, "godrans") == {kept}
    with vigie.db.session(write=True) as s:
        s.execute(delete(ReportRow).where(ReportRow.id == gone))
        s.commit()
    assert found(vigie, "lampadaire") == set()


def test_reports_search_finds_a_batch_written_in_several_statements(vigie):
    """A batch goes in as multi-row INSERTs (COPY on PostgreSQL), as many rows a statement as
    SQLite's parameter limit allows; the trigger fills the word index from each of them."""
    import sqlite3

    from tests.reports.helpers import submission
    from vigie.db import utcnow
    from vigie.reports.inserts import _report_values, insert_new
    from vigie.reports.intake import check_submissions

    subs = [submission(description=f"Potelet arraché numéro {i}", channel="import") for i in range(7)]
    now = utcnow()
    new = [_report_values(vigie, c, None, True, now) for c in check_submissions(vigie, subs)]
    with vigie.db.engine.begin() as conn:
        driver = conn.connection.driver_connection
        limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
        before = driver.getlimit(limit) if vigie.db.dialect == "sqlite" else 0
        if before:  # at most three reports a statement: 7 in four
            driver.setlimit(limit, 3 * len(ReportRow.__table__.columns))
        try:
            ids = insert_new(conn, vigie, new)  # type: ignore[arg-type]
        finally:
            if before:
                driver.setlimit(limit, before)
    assert len(ids) == 7
    assert found(vigie, "potelet arraché") == set(ids)
    assert found(vigie, "numéro 6") == {ids[6]}
