"""Report intake (reports.intake): what lands in the database, and what does not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vigie.errors import Conflict, Forbidden
from vigie.reports import intake
from vigie.reports.actions import get_report
from vigie.reports.storage import ReportRow, ReportUpdateRow

from .helpers import submission as _sub


def test_reports_intake_row_matches_what_is_read_back(vigie) -> None:
    checked = intake.check_submission(vigie, _sub(reporter_email="a@example.org"))
    row, created = intake.do_submit_report(vigie, checked)
    assert created
    stored = get_report(vigie, row.id)
    for name in (
        "reference",
        "service_code",
        "status",
        "zone",
        "attributes",
        "token",
        "requested_at",
        "expected_at",
        "reporter_email",
        "public",
        "team",
        "procedure_id",
    ):
        assert getattr(stored, name) == getattr(row, name), name
    assert stored.reference == row.reference and row.reference.endswith(f"-{row.id:06d}")
    with vigie.db.session() as s:
        kinds = s.scalars(select(ReportUpdateRow.kind).where(ReportUpdateRow.report_id == row.id)).all()
    assert kinds == ["created"]


def test_reports_intake_same_external_id_is_a_conflict_and_writes_nothing(vigie) -> None:
    first, _ = intake.do_submit_report(vigie, intake.check_submission(vigie, _sub(external_id="X-1")))
    with pytest.raises(Conflict, match="X-1"):
        intake.do_submit_report(vigie, intake.check_submission(vigie, _sub(external_id="X-1")))
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 1
        assert s.scalar(select(func.count()).select_from(ReportUpdateRow)) == 1
    assert get_report(vigie, first.id).external_id == "X-1"


@pytest.mark.parametrize("channel", ["phone", "email"])
def test_reports_intake_on_behalf_needs_the_intake_permission(vigie, make_agent, channel) -> None:
    """The use case refuses it, whichever adapter calls it (defect 7 of issue 15)."""
    checked = intake.check_submission(vigie, _sub(channel=channel))
    with pytest.raises(Forbidden, match="reports.intake"):
        intake.do_submit_report(vigie, checked, agent=make_agent("field_agent"))
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 0
    row, created = intake.do_submit_report(vigie, checked, agent=make_agent("operator"))
    assert created and row.channel == channel


def test_reports_intake_batch_writes_what_one_by_one_writes(vigie, monkeypatch) -> None:
    published: list = []
    monkeypatch.setattr(vigie.bus, "publish", lambda events: published.extend(events))
    single = intake.do_create_reports(vigie, intake.check_submission(vigie, _sub(description="seul")))
    batch = [intake.check_submission(vigie, _sub(description=f"lot {i}")) for i in range(3)]
    published.clear()  # on PostgreSQL a plain report's event leaves with its INSERT instead
    done = intake.do_create_reports(vigie, batch)
    assert done.ids == [single.ids[0] + 1, single.ids[0] + 2, single.ids[0] + 3]
    assert [e.type for e in published] == ["report.created"] * 3
    assert [e.report_ids[0] for e in published] == done.ids
    columns = ("service_code", "status", "zone", "attributes", "public", "team", "procedure_id", "channel")
    one = get_report(vigie, single.ids[0])
    for rid, row in zip(done.ids, done.rows, strict=True):
        stored = get_report(vigie, rid)
        assert stored.reference == row.reference and stored.reference.endswith(f"-{rid:06d}")
        assert stored.token != one.token and stored.expected_at is not None
        for name in columns:
            assert getattr(stored, name) == getattr(one, name), name
    with vigie.db.session() as s:
        kinds = s.scalars(select(ReportUpdateRow.kind).where(ReportUpdateRow.report_id.in_(done.ids))).all()
    assert kinds == ["created"] * 3


def test_reports_intake_batch_is_all_or_nothing(vigie) -> None:
    intake.do_create_reports(vigie, intake.check_submission(vigie, _sub(external_id="X-2")))
    batch = [intake.check_submission(vigie, _sub(external_id=e)) for e in ("X-3", "X-2", "X-4")]
    with pytest.raises(Conflict):
        intake.do_create_reports(vigie, batch)
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 1
        assert s.scalar(select(func.count()).select_from(ReportUpdateRow)) == 1


def test_reports_intake_photos_and_keys_go_with_one_submission(vigie) -> None:
    batch = [intake.check_submission(vigie, _sub()) for _ in range(2)]
    with pytest.raises(ValueError, match="one submission"):
        intake.do_create_reports(vigie, batch, idempotency=intake.Idempotency("s", "k", "f"))


def test_reports_check_submissions_gives_each_its_checked_form_or_its_error(vigie) -> None:
    subs = [
        _sub(),
        _sub(service_code="inconnu"),
        _sub(lat=48.8566, long=2.3522),  # Paris: outside Dijon's zones
        _sub(lat=47.3300, long=5.0300, description="Trou rue de Jouvence"),
        _sub(long=None),  # a latitude without its longitude
    ]
    results = intake.check_submissions(vigie, subs)

    assert [type(r).__name__ for r in results] == [
        "CheckedSubmission",
        "ValidationFailed",
        "ValidationFailed",
        "CheckedSubmission",
        "ValidationFailed",
    ]
    for sub, result in zip(subs, results, strict=True):
        try:
            one = intake.check_submission(vigie, sub)
        except Exception as exc:
            assert isinstance(result, Exception)
            assert (type(exc), str(exc), getattr(exc, "field", None)) == (
                type(result),
                str(result),
                getattr(result, "field", None),
            )
            continue
        assert not isinstance(result, Exception)
        assert (result.zone, result.procedure.id, result.lat, result.long) == (
            one.zone,
            one.procedure.id,
            one.lat,
            one.long,
        )
    assert results[1].field == "service_code" and results[2].field == "lat"  # type: ignore[union-attr]
    assert results[0].zone != "" and results[3].description == "Trou rue de Jouvence"  # type: ignore[union-attr]


def test_reports_intake_batch_tokens_are_distinct_url_safe_secrets(vigie) -> None:
    """A batch draws its tracking secrets at once: each is what secrets.token_urlsafe(18)
    gives (24 URL-safe characters), none shared."""
    import re

    checked = intake.check_submissions(vigie, [_sub() for _ in range(50)])
    tokens = [c.token for c in checked if isinstance(c, intake.CheckedSubmission)]
    assert len(tokens) == 50 == len(set(tokens))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{24}", t) for t in tokens)
    assert intake._tokens(0) == []


def test_reports_taken_external_ids_finds_them_among_thousands(vigie) -> None:
    from vigie.reports.lookups import taken_external_ids

    intake.do_create_reports(vigie, intake.check_submission(vigie, _sub(external_id="imp:7")))
    asked = {f"imp:{i}" for i in range(3000)} | {"imp:'; --", 'imp:"x"'}
    with vigie.db.session() as s:
        assert taken_external_ids(s, asked) == {"imp:7"}
        assert taken_external_ids(s, {"imp:8"}) == set()
        assert taken_external_ids(s, set()) == set()
