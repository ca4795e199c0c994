"""UTCDateTime's SQLite bind processor stores what SQLAlchemy's DATETIME would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from vigie.db import UTCDateTime

VALUES = [
    datetime(2018, 1, 1, tzinfo=UTC),
    datetime(2026, 12, 7, 10, 55, 1, 123456, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # a day earlier in UTC
    datetime(999, 5, 5, 5, 5, 5, 5, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC),
]


def test_db_utc_datetime_sqlite_text_is_the_dialects():
    dialect = sqlite.dialect()
    column = UTCDateTime()
    impl = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    process = column.bind_processor(dialect)
    for value in VALUES:
        assert process(value) == impl(column.process_bind_param(value, dialect)), value
    assert process(VALUES[2]) == "2026-03-28 23:30:00.000000"
    assert process(None) is None


def test_db_utc_datetime_sqlite_refuses_a_naive_datetime():
    process = UTCDateTime().bind_processor(sqlite.dialect())
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 1, 1))
