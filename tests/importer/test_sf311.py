"""The real DataSF 311 sample through the bundled ``sf311`` mapping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from vigie.importer.mapping import load_mapping
from vigie.importer.run import run_import
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.sources.reading import CsvSource

SF_SAMPLE_ROWS = 4984  # documented in /work/shared/data/README.md


def _count(v: Vigie, *where: object) -> int:
    with v.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(ReportRow).where(*where)) or 0)


def test_sf311_sample_imports_every_row_then_reimport_skips_all(sf: Vigie, sf_sample: Path) -> None:
    started = time.perf_counter()
    result = run_import(sf, sf_sample, "sf311")
    first = time.perf_counter() - started
    print(f"\nfirst import: {first:.1f} s; " + "; ".join(result.summary_lines()))

    # Every row of the sample has coordinates inside the city: nothing fails.
    assert result.failed == []
    assert (result.created, result.skipped) == (SF_SAMPLE_ROWS, 0)
    assert _count(sf) == SF_SAMPLE_ROWS
    assert _count(sf, ReportRow.channel == "import") == SF_SAMPLE_ROWS
    assert _count(sf, ReportRow.status == "resolved") == 4762
    assert _count(sf, ReportRow.status == "acknowledged") == 222
    assert _count(sf, ReportRow.zone == "san-francisco") == SF_SAMPLE_ROWS
    # Unknown categories fall back to general-request: only the General
    # Requests, Interdepartmental, Volunteer and external "Other"/"Utility" rows.
    assert _count(sf, ReportRow.service_code == "general-request") == 311
    assert _count(sf, ReportRow.reporter_email != "") == 0
    assert _count(sf, ReportRow.reporter_name != "") == 0

    with sf.db.session() as s:
        row = s.scalar(select(ReportRow).where(ReportRow.external_id == "sf311:1757188"))
        assert row is not None
        # "2012-12-04 15:21:00" in San Francisco (PST, UTC-8).
        assert row.requested_at == datetime(2012, 12, 4, 23, 21, tzinfo=UTC)
        assert row.closed_at == datetime(2012, 12, 6, 12, 39, tzinfo=UTC)
        assert row.updated_at == datetime(2012, 12, 6, 12, 39, tzinfo=UTC)
        assert (row.service_code, row.status, row.team) == (
            "street-defect",
            "resolved",
            "dpw-street-repair",
        )
        assert row.description == "Utility_Excavation"  # Request.Type and identical Details
        assert row.address == "2820 GREENWICH ST, SAN FRANCISCO, CA, 94123"
        assert row.status_notes == ""  # NA
        assert (row.lat, row.long) == (37.797838468, -122.446243791)
        assert row.reference == "SF-2012-000001"
        history = s.scalars(
            select(ReportUpdateRow.status)
            .where(ReportUpdateRow.report_id == row.id)
            .order_by(ReportUpdateRow.id)
        ).all()
        assert history == ["new", "resolved"]
        noted = s.scalar(select(ReportRow).where(ReportRow.external_id == "sf311:1834805"))
        assert noted is not None
        assert noted.description == "Park - UrbanForestry — Broken_Limb"
        assert noted.status_notes == "Case Resolved -"

    started = time.perf_counter()
    again = run_import(sf, sf_sample, "sf311")
    print(f"re-import: {time.perf_counter() - started:.1f} s")
    assert (again.created, again.skipped, again.failed) == (0, SF_SAMPLE_ROWS, [])
    assert _count(sf) == SF_SAMPLE_ROWS


def test_csv_source_positions_are_the_lines_where_records_start(sf_sample: Path) -> None:
    mapping = load_mapping("sf311")
    lines = sf_sample.read_text(encoding="utf-8-sig").splitlines()
    source = CsvSource(sf_sample, mapping)
    positions = []
    for rec in source.records():
        case_id = rec.get("CaseID")
        assert lines[rec.position - 1].startswith(f"{case_id},"), rec.position
        positions.append(rec.position)
    assert len(positions) == source.total == SF_SAMPLE_ROWS
    # 42 records of the sample span several physical lines.
    assert sum(1 for a, b in zip(positions, positions[1:], strict=False) if b - a > 1) == 42
