"""How a batch is cut into SQLite statements (reports.inserts.write_rows)."""

from __future__ import annotations

from vigie.reports.inserts import MAX_ROWS_A_STATEMENT, _chunks


def test_reports_inserts_batches_use_few_statement_sizes():
    sizes: set[int] = set()
    for count in range(0, 3001):
        chunks = _chunks(count, 250_000 // 41)
        assert sum(chunks) == count
        assert all(size <= MAX_ROWS_A_STATEMENT for size in chunks)
        sizes.update(chunks)
    # Every batch size, from 0 to 3,000 rows, in statements of nine sizes (256, 128, ..., 1).
    assert sizes == {2**i for i in range(9)}
    assert _chunks(7, 3) == [2, 2, 2, 1]  # never more rows than the parameter limit allows
