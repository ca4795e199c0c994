"""PostgreSQL intake of a plain report in one statement, its event's NOTIFY included.

The fast path must be indistinguishable from the transactional one: the same
rows, the same event (with the real id and reference put in place of the
marks), the same conflicts; and a report that has a message to queue must not
take it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from vigie.bootstrap import build_vigie
from vigie.catalogue.domain import Text
from vigie.db import Prepared
from vigie.errors import Conflict
from vigie.events.domain import DomainEvent
from vigie.notifications.actions import creation_announced
from vigie.notifications.storage import OutboxRow
from vigie.reports import inserts, intake
from vigie.reports.actions import get_report, report_event
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.settings import Settings

from .helpers import submission

pytestmark = pytest.mark.postgres


def _sub(**over: Any) -> intake.Submission:
    """A resident's plain report, as Open311 clients send them."""
    return submission(**{"channel": "open311", **over})


def _needs_postgres(v: Vigie) -> None:
    if v.db.dialect != "postgresql":
        pytest.skip("one-statement intake is PostgreSQL's (SQLite batches its writes instead)")


def _statements_seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(SQL, whether outside a transaction block) of every hot-path statement sent from now on."""
    seen: list[tuple[str, bool]] = []
    execute = Prepared.execute

    def record(self: Prepared, conn: Any, params: dict[str, Any]) -> Any:
        seen.append((self._prepare(conn)[0], conn.connection.dbapi_connection.autocommit))
        return execute(self, conn, params)

    monkeypatch.setattr(Prepared, "execute", record)
    return seen


def _received(v: Vigie, submit: Any, count: int = 1) -> tuple[Any, list[DomainEvent]]:
    """Run ``submit`` with the bus listening; return its result and the first ``count`` events."""

    async def scenario() -> tuple[Any, list[DomainEvent]]:
        await v.bus.start()
        sub = v.bus.hub.subscribe(lambda e: e.type == "report.created")
        try:
            result = await asyncio.to_thread(submit)
            return result, [await asyncio.wait_for(sub.get(), 10) for _ in range(count)]
        finally:
            sub.close()
            await v.bus.stop()

    # A loop of its own in a thread of its own (see tests/events/test_events_postgres_bus.py).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result(timeout=60)


def test_reports_intake_one_statement_event_is_the_one_publish_would_send(
    vigie: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_postgres(vigie)
    seen = _statements_seen(monkeypatch)
    published: list[DomainEvent] = []
    publish = vigie.bus.publish
    monkeypatch.setattr(vigie.bus, "publish", lambda events: (published.extend(events), publish(events)))

    def submit() -> ReportRow:
        # A first report so that the id (2) and the reference differ from anything a
        # counter starting at 1 would give by chance.
        intake.do_submit_report(vigie, intake.check_submission(vigie, _sub()))
        checked = intake.check_submission(vigie, _sub(reporter_name="Ada", reporter_phone="0102030405"))
        return intake.do_submit_report(vigie, checked)[0]

    row, events = _received(vigie, submit, count=2)
    got = events[1]
    assert row.id == 2 and row.reference.endswith("-000002")
    # One statement per report, no transaction block, no separate NOTIFY.
    assert len(seen) == 2
    assert all("pg_notify" in sql and alone for sql, alone in seen)
    assert published == []  # the events came from the inserts, not from the bus's own NOTIFY

    stored = get_report(vigie, row.id)
    expected = report_event(vigie, "report.created", stored)
    assert got.report_ids == (row.id,) == expected.report_ids
    assert got.public is expected.public
    assert got.payload == expected.payload
    assert got.payload["id"] == str(row.id)
    assert row.reference in str(got.payload)
    assert got.agent == expected.agent
    assert got.agent["reporter"]["name"] == "Ada"
    assert got.id  # an event id, for SSE clients' Last-Event-ID
    assert str(inserts.ID_MARK) not in str(got.payload) + str(got.agent)


def test_reports_intake_one_statement_same_external_id_is_a_conflict_and_writes_nothing(
    vigie: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_postgres(vigie)
    seen = _statements_seen(monkeypatch)
    intake.do_submit_report(vigie, intake.check_submission(vigie, _sub(external_id="X-1")))
    with pytest.raises(Conflict, match="X-1"):
        intake.do_submit_report(vigie, intake.check_submission(vigie, _sub(external_id="X-1")))
    # Both took the one-statement path.
    assert [("pg_notify" in sql, alone) for sql, alone in seen] == [(True, True)] * 2
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRow)) == 1
        assert s.scalar(select(func.count()).select_from(ReportUpdateRow)) == 1


def test_reports_intake_one_statement_report_too_big_for_a_notify_is_saved_and_announced_slim(
    vigie: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL refuses NOTIFY payloads of 8,000 bytes: the event is slimmed, never the report refused."""
    _needs_postgres(vigie)
    seen = _statements_seen(monkeypatch)
    emoji = "\U0001f573" * 4000  # 16,000 bytes in each field

    def submit() -> ReportRow:
        checked = intake.check_submission(
            vigie,
            _sub(
                service_code="depot-amiante-suspect",
                description=emoji,
                attributes={"etat": "intacts", "acces": emoji},
            ),
        )
        return intake.do_submit_report(vigie, checked)[0]

    row, events = _received(vigie, submit)
    assert [("pg_notify" in sql, alone) for sql, alone in seen] == [(True, True)]
    stored = get_report(vigie, row.id)
    assert stored.description == emoji and stored.attributes["acces"] == emoji
    got = events[0]
    assert got.report_ids == (row.id,) and got.payload["id"] == str(row.id)
    assert got.payload["reference"] == row.reference and got.payload["truncated"] is True
    assert "description" not in got.payload and "attributes" not in got.payload


@pytest.fixture
def announcing(vigie_settings: Settings) -> Any:
    """A platform that sends e-mail (to files) and acknowledges every new report.

    Dijon's procedures have no ``new`` message (the ``acknowledged`` one says it
    all); a city may have one.
    """
    data = vigie_settings.model_dump()
    data.update(
        background_services=False, notify_transport="file", mail_from="Vigie <no-reply@vigie.example>"
    )
    v = build_vigie(Settings(**data))
    received = Text({"fr": "Bien reçu.", "en": "Received."})
    procedures = tuple(
        dataclasses.replace(p, messages={**p.messages, "new": received}) for p in v.catalogue.procedures
    )
    v.catalogue = dataclasses.replace(v.catalogue, procedures=procedures)
    yield v
    v.db.dispose()


def test_reports_intake_creation_announced_only_with_an_address_and_a_transport(
    vigie: Vigie, announcing: Vigie
) -> None:
    def row_of(v: Vigie, **over: Any) -> ReportRow:
        checked = intake.check_submission(v, _sub(**over))
        values, _ = inserts._new_report(v, checked, None)
        return ReportRow(id=1, reference="X", **values)

    assert creation_announced(announcing, row_of(announcing, reporter_email="ada@example.org"))
    assert not creation_announced(announcing, row_of(announcing))  # nobody to tell
    imported = row_of(announcing, reporter_email="ada@example.org", channel="import")
    assert not creation_announced(announcing, imported)
    vigie.settings = Settings(**{**vigie.settings.model_dump(), "notify_transport": "none"})
    assert not creation_announced(vigie, row_of(vigie, reporter_email="ada@example.org"))  # no transport
    # Dijon as shipped (no "new" message): a report made with an address still gets its
    # receipt (issue 14 §5); one without stays a plain report.
    data = announcing.settings.model_dump()
    dijon = build_vigie(Settings(**data))
    try:
        assert creation_announced(dijon, row_of(dijon, reporter_email="ada@example.org"))
        assert not creation_announced(dijon, row_of(dijon))
    finally:
        dijon.db.dispose()


def test_reports_intake_announced_report_keeps_its_transaction_and_queues_its_message(
    announcing: Vigie, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_postgres(announcing)
    seen = _statements_seen(monkeypatch)

    def submit() -> ReportRow:
        checked = intake.check_submission(announcing, _sub(reporter_email="ada@example.org"))
        return intake.do_submit_report(announcing, checked)[0]

    row, events = _received(announcing, submit)
    assert [("pg_notify" in sql, alone) for sql, alone in seen] == [(False, False)]
    assert events[0].report_ids == (row.id,)
    assert events[0].payload["id"] == str(row.id)
    with announcing.db.session() as s:
        queued = s.scalars(select(OutboxRow.recipient)).all()
    assert queued == ["ada@example.org"]
