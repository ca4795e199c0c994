"""One-statement work runs outside a transaction block on PostgreSQL, and leaves no trace."""

from __future__ import annotations

import pytest


def _transaction_status(conn) -> str:
    return conn.connection.dbapi_connection.info.transaction_status.name


def test_db_one_statement_connection_runs_outside_a_transaction_on_postgres(vigie):
    db = vigie.db
    if db.dialect != "postgresql":
        pytest.skip("SQLite reads keep their transaction: it costs no round trip")
    with db.one_statement_connection() as conn:
        conn.exec_driver_sql("SELECT 1").scalar_one()
        # No BEGIN was sent: the server is idle, not in a transaction block.
        assert _transaction_status(conn) == "IDLE"
    # The pooled connection is back to ordinary transactions for everyone else.
    for _ in range(3):
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            assert _transaction_status(conn) == "INTRANS"
