"""Releases loaded once into DuckDB: kept, replaced by a newer release, never closed under a reader."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vigie.opendata import release_tables
from vigie.opendata.queries import Release
from vigie.opendata.release_tables import ENTRY_OVERHEAD, FID, TABLE, Answers, Reading, ReleaseTables


def _release(tmp_path: Path, dataset: str, version: int, rows: int) -> tuple[Release, Path]:
    path = tmp_path / f"{dataset}-{version}.parquet"
    pq.write_table(pa.table({"n": list(range(rows))}), path)
    release = Release(
        dataset, version, rows, path.stat().st_size, f"sha{version}", datetime.now(UTC), [], "", ""
    )
    return release, path


def test_opendata_release_tables_numbers_rows_and_names_a_view(tmp_path: Path) -> None:
    tables = ReleaseTables()
    release, path = _release(tmp_path, "arrets", 1, 5)
    with tables.cursor(release, path) as cur:
        assert cur.sql(f"SELECT min({FID}), max({FID}) FROM {TABLE}").fetchall() == [(1, 5)]
        assert cur.sql('SELECT * FROM "arrets" LIMIT 1').columns == ["n"]  # the release's own columns
        assert cur.sql("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
    tables.close()


def test_opendata_release_tables_a_new_release_replaces_the_old_without_cutting_a_reader(
    tmp_path: Path,
) -> None:
    tables = ReleaseTables(keep=4)
    first, first_path = _release(tmp_path, "arrets", 1, 3)
    second, second_path = _release(tmp_path, "arrets", 2, 7)
    with tables.cursor(first, first_path) as reading:
        with tables.cursor(second, second_path) as cur:
            assert cur.sql(f"SELECT count(*) FROM {TABLE}").fetchall() == [(7,)]
        assert tables.loaded() == 1  # version 1 evicted…
        assert reading.sql(f"SELECT count(*) FROM {TABLE}").fetchall() == [(3,)]  # …but still read
    others = [_release(tmp_path, f"jeu{i}", 1, 2) for i in range(5)]
    for release, path in others:
        with tables.cursor(release, path):
            pass
    assert tables.loaded() == 4  # the four most recently used
    tables.close()


def test_opendata_release_tables_answers_are_bounded_in_bytes_and_least_recently_used_go_first() -> None:
    one = 1000 + len(repr("a")) + ENTRY_OVERHEAD  # what an answer of 1,000 bytes under "a" counts for
    answers = Answers(budget=3 * one)
    computed: list[str] = []

    def compute(key: str) -> Callable[[], bytes]:
        def run() -> bytes:
            computed.append(key)
            return key.encode() * 1000

        return run

    for key in ("a", "b", "c"):
        assert answers.get(key, compute(key)) == key.encode() * 1000
    assert answers.held == 3 * one
    assert answers.get("a", compute("a")) == b"a" * 1000  # kept: not computed again, now the most recent
    for key in ("d", "e"):
        answers.get(key, compute(key))
        assert answers.held <= answers.budget
    assert len(answers) == 3
    answers.get("a", compute("a"))
    answers.get("b", compute("b"))  # the least recently used went first: computed again
    assert computed == ["a", "b", "c", "d", "e", "b"]
    answers.keep("big", b"x" * (3 * one))  # larger than the whole budget: not kept, nothing dropped
    assert answers.find("big") == (False, None) and len(answers) == 3 and answers.held == 3 * one


def test_opendata_release_tables_a_new_release_starts_with_no_answers(tmp_path: Path) -> None:
    tables = ReleaseTables()
    first, first_path = _release(tmp_path, "arrets", 1, 3)
    second, second_path = _release(tmp_path, "arrets", 2, 7)

    def total(reading: Reading) -> int:
        return int(reading.cursor.sql(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0])

    with tables.query(first, first_path) as reading:
        assert reading.answers.get("total", lambda: total(reading)) == 3
    with tables.query(second, second_path) as reading:
        assert len(reading.answers) == 0
        assert reading.answers.get("total", lambda: total(reading)) == 7  # the same key, the new release's
    with tables.query(first, first_path) as reading:
        assert len(reading.answers) == 0  # version 1 was replaced: loaded again, its old answers gone
    tables.close()


def test_opendata_release_tables_few_valued_texts_are_enums_answering_as_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_tables, "ENUM_MAX_VALUES", 5)
    path = tmp_path / "lieux-1.parquet"
    kinds = ["parc", "école", None, "Zoo", "bibliothèque"]
    pq.write_table(
        pa.table({"kind": [kinds[i % 5] for i in range(60)], "code": [f"c{i:02}" for i in range(60)]}), path
    )
    release = Release("lieux", 1, 60, path.stat().st_size, "sha1", datetime.now(UTC), [], "", "")
    tables = ReleaseTables()
    queries = [
        ('SELECT count(*) FROM "lieux" WHERE kind = ?', ["parc"]),
        ('SELECT count(*) FROM "lieux" WHERE kind = ?', ["absent"]),  # not a value: no row, no error
        ('SELECT count(*) FROM "lieux" WHERE kind < ?', ["p"]),
        ('SELECT count(*) FROM "lieux" WHERE kind IN (?, ?)', ["Zoo", "nulle part"]),
        ('SELECT count(*) FROM "lieux" WHERE CAST(kind AS VARCHAR) ILIKE ?', ["%É%"]),
        ('SELECT kind, count(*) AS n FROM "lieux" GROUP BY kind ORDER BY kind NULLS LAST', None),
        ('SELECT min(kind), max(kind) FROM "lieux"', None),
        ('SELECT code, kind FROM "lieux" ORDER BY kind DESC, code LIMIT 7', None),
    ]
    plain = duckdb.connect()
    plain.execute(f"CREATE VIEW lieux AS SELECT * FROM read_parquet('{path}')")
    with tables.cursor(release, path) as cur:
        types = {row[0]: row[1] for row in cur.execute(f"DESCRIBE {TABLE}").fetchall()}
        assert types["kind"].startswith("ENUM(") and types["code"] == "VARCHAR"  # 60 codes: left as text
        for sql, params in queries:
            assert cur.sql(sql, params=params).fetchall() == plain.sql(sql, params=params).fetchall(), sql
        rows = cur.sql('SELECT kind FROM "lieux" ORDER BY code LIMIT 3').to_arrow_table().to_pylist()
        assert rows == [{"kind": "parc"}, {"kind": "école"}, {"kind": None}]
    tables.close()


def test_opendata_release_tables_rows_are_stored_newest_first_by_a_moment_without_nulls(
    tmp_path: Path,
) -> None:
    day = [datetime(2026, 1, d, tzinfo=UTC) for d in (3, 1, 3, 2, 1)]
    path = tmp_path / "passages-1.parquet"
    # ``fin`` comes first but has a NULL: a reversed scan would misplace it, so ``debut`` is the order.
    fin = [None, *day[1:]]
    pq.write_table(pa.table({"fin": fin, "debut": day, "n": [0, 1, 2, 3, 4]}), path)
    release = Release("passages", 1, 5, path.stat().st_size, "sha1", datetime.now(UTC), [], "", "")
    tables = ReleaseTables()
    with tables.query(release, path) as reading:
        assert reading.stored_by == "debut"
        # Newest first, ties in the file's order; ids stay the rows' positions in the file.
        scanned = reading.cursor.sql(f"SELECT n, {FID} FROM {TABLE}").fetchall()
        assert scanned == [(0, 1), (2, 3), (3, 4), (1, 2), (4, 5)]
    nulls = tmp_path / "sans-1.parquet"
    pq.write_table(pa.table({"fin": fin, "n": [0, 1, 2, 3, 4]}), nulls)
    other = Release("sans", 1, 5, nulls.stat().st_size, "sha1", datetime.now(UTC), [], "", "")
    with tables.query(other, nulls) as reading:
        assert reading.stored_by is None
        assert reading.cursor.sql(f"SELECT n FROM {TABLE}").fetchall() == [(i,) for i in range(5)]
    tables.close()


def test_opendata_release_tables_rowid_is_a_rows_place_only_in_a_loaded_table_without_such_a_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan may start at a ``rowid`` (``Reading.positioned``) only where it is the row's place in
    the stored order: not in a view on the file, nor where a column of the release hides it."""
    tables = ReleaseTables()
    plain, plain_path = _release(tmp_path, "plain", 1, 5)
    path = tmp_path / "cache-1.parquet"
    pq.write_table(pa.table({"RowID": [9, 8, 7], "n": [0, 1, 2]}), path)
    hidden = Release("cache", 1, 3, path.stat().st_size, "sha1", datetime.now(UTC), [], "", "")
    with tables.query(plain, plain_path) as reading:
        assert reading.positioned
        assert reading.cursor.sql(f"SELECT rowid, n FROM {TABLE} WHERE rowid >= 3").fetchall() == [
            (3, 3),
            (4, 4),
        ]
    with tables.query(hidden, path) as reading:
        assert not reading.positioned
    monkeypatch.setattr(release_tables, "LOAD_MAX_ROWS", 2)
    big, big_path = _release(tmp_path, "grand", 1, 5)
    with tables.query(big, big_path) as reading:
        assert not reading.positioned  # a view on the file
    tables.close()


def test_opendata_release_tables_a_shared_answer_is_computed_once_while_others_wait() -> None:
    answers = Answers()
    started, go = threading.Event(), threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        started.set()
        go.wait()
        return "counts"

    got: list[tuple[bool, object]] = []
    first = threading.Thread(target=lambda: got.append(answers.shared("k", compute)))
    first.start()
    started.wait()  # the first asker is computing; the others now wait for it, or find it kept
    others = [threading.Thread(target=lambda: got.append(answers.shared("k", compute))) for _ in range(4)]
    for t in others:
        t.start()
    go.set()
    for t in [first, *others]:
        t.join()
    assert calls == [1]
    assert sorted(got, key=str) == [(False, "counts")] + [(True, "counts")] * 4
    assert answers.shared("k", compute) == (True, "counts")


def test_opendata_release_tables_a_reading_gives_its_cursor_back_for_the_next(tmp_path: Path) -> None:
    tables = ReleaseTables()
    release, path = _release(tmp_path, "arrets", 1, 4)
    with tables.query(release, path) as reading:
        first = reading.cursor
        assert first.sql(f"SELECT count(*) FROM {TABLE}").fetchall() == [(4,)]
    with tables.query(release, path) as one, tables.query(release, path) as two:
        # The idle cursor serves the next reading; one running at the same time makes its own.
        assert one.cursor is first
        assert two.cursor is not first
        assert two.cursor.sql(f"SELECT count(*) FROM {TABLE}").fetchall() == [(4,)]
    tables.close()  # the kept cursors end with the release's connection
    with pytest.raises(duckdb.ConnectionException):
        first.sql("SELECT 1").fetchall()
