"""A records page's JSON: moments written as Arrow's own conversion writes them, however made."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pytest

from vigie.opendata.explore_records import encode

MOMENTS = [
    datetime(2025, 12, 1, tzinfo=UTC),
    None,
    datetime(1969, 7, 20, 20, 17, 40, 123456, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
]


def _arrow_way(table: pa.Table, tz: ZoneInfo) -> bytes:
    """The page as Arrow's ``to_pylist`` makes it, moments cast to ``tz`` first."""
    utc = tz.key in ("UTC", "Etc/UTC")
    columns = [
        c.cast(pa.timestamp(f.type.unit, tz=None if utc else tz.key)) if pa.types.is_timestamp(f.type) else c
        for f, c in zip(table.schema, table.columns, strict=True)
    ]
    rows = pa.Table.from_arrays(columns, names=table.column_names).to_pylist()
    return orjson.dumps({"total_count": 9, "results": rows}, option=orjson.OPT_NAIVE_UTC)


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Europe/Paris"])
def test_opendata_explore_encode_moments_as_arrow_writes_them(zone: str) -> None:
    naive = [m.replace(tzinfo=None) if m else None for m in MOMENTS]
    table = pa.table(
        {
            "at": pa.array(MOMENTS, pa.timestamp("us", tz="Etc/UTC")),
            "plain": pa.array(naive, pa.timestamp("us")),
            "ms": pa.array(MOMENTS, pa.timestamp("ms", tz="UTC")),
            "ns": pa.array(MOMENTS[:3], pa.timestamp("ns", tz="UTC")).take([0, 1, 2, 2, 0]),
            "n": pa.array([1, None, 3, 4, 5]),
        }
    )
    if zone == "Europe/Paris":  # year 1 and 9999 have no place in Paris's offsets
        table = table.slice(0, 3)
    assert encode(table, 9, ZoneInfo(zone)) == _arrow_way(table, ZoneInfo(zone))


def test_opendata_explore_encode_refuses_a_moment_beyond_datetime_as_before() -> None:
    table = pa.table({"at": pa.array([253402300800000000, 0], pa.timestamp("us", tz="UTC"))})
    with pytest.raises(OverflowError):
        encode(table, 2, ZoneInfo("UTC"))
