"""What the database's planner would do with a statement, on either backend."""

from __future__ import annotations

from typing import Any


def explain(engine: Any, statement: str, params: Any) -> str:
    """The plan of ``statement`` with ``params``, as the backend's EXPLAIN writes it."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + statement, params)
            plan = "\n".join(str(row[-1]) for row in cur.fetchall())
        else:
            # An empty table is cheaper to scan; forbid that to see what the planner can use.
            cur.execute("SET enable_seqscan = off")
            cur.execute("EXPLAIN " + statement, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan
