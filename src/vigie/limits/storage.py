"""The table of the database limits store (``vigie.limits.sql``).

One row per key. For a counter (``hit``), ``count`` is the number of events and
``value`` the time of the last one; for a rate (``take``), ``value`` is the time
at which the key's allowance is full again and ``count`` is 1 when the last
event was allowed, 0 when it was refused. Times are epoch seconds. A row is
useless after ``expires_at`` and may be deleted then.

On PostgreSQL the table is UNLOGGED (migration 0010): counters are disposable,
and a crash that forgets them only forgives a few failed sign-ins. On SQLite
the store keeps this table in a file of its own next to the database
(``<database>-limits.db``), so that counting never waits for the database's
single writer; the copy migrations create in the main file stays empty.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vigie.db import Base


class LimitCounterRow(Base):
    __tablename__ = "limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    # Not indexed: every count moves it, and an index there cost a third of a count's
    # time on SQLite (docs/benchmarks.md); on PostgreSQL it would also rule out HOT
    # updates. The purge of expired rows, once a minute per process, scans the table instead.
    expires_at: Mapped[float] = mapped_column(Float)
