"""Input that only the database refuses is named for what it is (never "a number is out of range")."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DataError

from tests.conftest import PG_URL
from vigie.web.problems import NUL_IN_TEXT, input_error_from_database


def test_problems_driver_overflow_is_a_number_out_of_range():
    err = input_error_from_database(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert (err.status, err.message) == (422, "a number in the request is out of range")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs VIGIE_TEST_BACKEND=postgres")
@pytest.mark.parametrize(
    ("sql", "value", "message"),
    [
        (
            "INSERT INTO t (v) VALUES (:x)",
            "x" * 65,
            "a text in the request is too long for where it is stored (at most 64 characters)",
        ),
        ("SELECT CAST(:x AS text)", "a\x00b", NUL_IN_TEXT),
        ("SELECT CAST(:x AS jsonb)", '{"a": "\\u0000"}', NUL_IN_TEXT),
        ("INSERT INTO t (i) VALUES (:x)", 2**40, "a number in the request is out of range"),
        (
            "SELECT CAST(:x AS int)",
            "twelve",
            "a value in the request cannot be stored (wrong form or out of range)",
        ),
    ],
)
def test_problems_postgresql_data_errors_get_truthful_messages(database_url, sql, value, message):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TEMP TABLE t (v varchar(64), i integer)"))
            with pytest.raises(DataError) as info:
                conn.execute(text(sql), {"x": value})
    finally:
        engine.dispose()
    err = input_error_from_database(info.value)
    assert (err.status, err.message) == (422, message)
