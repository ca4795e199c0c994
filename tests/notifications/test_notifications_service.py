"""The outbox worker: claims, concurrency, crash recovery, background service, privacy."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from vigie.background import background_services
from vigie.db import utcnow
from vigie.errors import ConfigurationError
from vigie.notifications.sender import FileSender, Outgoing, build_message
from vigie.notifications.service import (
    OutboxWorker,
    backoff,
    drain_outbox,
    make_background,
    outbox_counts,
    purge_outbox,
    recover_interrupted,
    retry_failed,
)
from vigie.notifications.storage import OutboxRow
from vigie.reports.actions import do_acknowledge, do_change_status

from .conftest import follow_confirmed, outbox, run_async, with_settings


class RecordingSender:
    """A transport that records what it sends (slowly, to let workers overlap)."""

    name = "recording"

    def __init__(self, delay: float = 0.0, verdict: bool | None = None) -> None:
        self.sent: list[int] = []
        self.delay = delay
        self.verdict = verdict
        self.lock = threading.Lock()

    def send(self, message, recipient, outbox_id):
        time.sleep(self.delay)
        with self.lock:
            self.sent.append(outbox_id)

    def delivered(self, outbox_id, message_id):
        return self.verdict


def queue_messages(vigie, submit, make_agent, reports: int, followers: int) -> int:
    operator = make_agent("operator")
    for i in range(reports):
        row = submit(email=f"reporter{i}@example.org")
        for j in range(followers):
            follow_confirmed(vigie, row.id, email=f"follower{i}-{j}@example.org")
        do_acknowledge(vigie, row.id, operator)
    return reports * (followers + 1)


def set_rows(vigie, **values) -> None:
    with vigie.db.session(write=True) as s:
        s.execute(update(OutboxRow).values(**values))
        s.commit()


def test_backoff_doubles_from_thirty_seconds_and_caps_at_one_hour():
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert backoff(50) == timedelta(hours=1)


def test_concurrent_drains_never_send_a_message_twice(vigie, submit, make_agent):
    expected = queue_messages(vigie, submit, make_agent, reports=6, followers=3)
    sender = RecordingSender(delay=0.005)
    barrier = threading.Barrier(3)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(drain_outbox(vigie, 100, sender=sender))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(results) == expected
    assert len(sender.sent) == expected
    assert Counter(sender.sent).most_common(1)[0][1] == 1
    assert {m.status for m in outbox(vigie)} == {"sent"}
    assert all(m.attempts == 1 for m in outbox(vigie))


def test_claimed_row_is_not_sent_by_another_worker(vigie, submit, make_agent):
    queue_messages(vigie, submit, make_agent, reports=1, followers=0)
    set_rows(vigie, status="sending", claimed_at=utcnow(), attempts=1)
    sender = RecordingSender()
    assert drain_outbox(vigie, 10, sender=sender) == 0
    assert sender.sent == []
    assert outbox(vigie)[0].status == "sending"  # recent claim: left to its worker


def test_interrupted_file_delivery_found_on_disk_is_marked_sent(vigie, submit, make_agent):
    queue_messages(vigie, submit, make_agent, reports=1, followers=0)
    [row] = outbox(vigie)
    sender = FileSender(vigie.settings.data_dir / "outbox")
    item = Outgoing(
        row.id,
        row.recipient,
        row.lang,
        row.subject,
        row.body_text,
        row.body_html,
        row.message_id,
        row.created_at,
    )
    sender.send(build_message(item, vigie.settings.mail_from), row.recipient, row.id)
    # the process died after writing the file, before recording it as sent
    set_rows(vigie, status="sending", attempts=1, claimed_at=utcnow() - timedelta(minutes=11))

    assert drain_outbox(vigie, 10) == 0
    [row] = outbox(vigie)
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(list(sender.directory.iterdir())) == 1


def test_interrupted_file_delivery_not_on_disk_is_sent_again(vigie, submit, make_agent):
    queue_messages(vigie, submit, make_agent, reports=1, followers=0)
    set_rows(vigie, status="sending", attempts=1, claimed_at=utcnow() - timedelta(minutes=11))

    assert drain_outbox(vigie, 10) == 1
    [row] = outbox(vigie)
    assert (row.status, row.attempts) == ("sent", 2)


def test_interrupted_smtp_delivery_is_failed_not_resent(vigie, submit, make_agent):
    queue_messages(vigie, submit, make_agent, reports=1, followers=0)
    set_rows(vigie, status="sending", attempts=1, claimed_at=utcnow() - timedelta(minutes=11))
    sender = RecordingSender(verdict=None)  # like SMTP: cannot tell

    assert recover_interrupted(vigie, sender) == 1
    assert drain_outbox(vigie, 10, sender=sender) == 0
    [row] = outbox(vigie)
    assert row.status == "failed"
    assert row.last_error == "delivery unknown, not resent: interrupted while sending"
    assert sender.sent == []

    # An operator who checked may queue it again.
    assert retry_failed(vigie, [row.id]) == 1
    assert drain_outbox(vigie, 10, sender=sender) == 1
    [row] = outbox(vigie)
    assert (row.status, row.attempts) == ("sent", 1)
    assert sender.sent == [row.id]


def test_outbox_counts_and_purge(vigie, submit, make_agent):
    queue_messages(vigie, submit, make_agent, reports=2, followers=0)
    drain_outbox(vigie, 1)
    assert outbox_counts(vigie) == {"pending": 1, "sending": 0, "sent": 1, "failed": 0}

    assert purge_outbox(vigie) == 0  # younger than the retention
    set_rows(vigie, created_at=utcnow() - timedelta(days=31))
    assert purge_outbox(vigie) == 1  # the sent one; pending rows stay
    assert [m.status for m in outbox(vigie)] == ["pending"]
    with_settings(vigie, outbox_retention_days=0)
    drain_outbox(vigie, 10)
    assert purge_outbox(vigie) == 0


def test_make_background_follows_the_transport(vigie):
    [worker] = make_background(vigie)
    assert isinstance(worker, OutboxWorker)
    assert worker.sender.name == "file"
    assert any(isinstance(s, OutboxWorker) for s in background_services(vigie))

    with_settings(vigie, notify_transport="none")
    assert make_background(vigie) == []

    with_settings(vigie, notify_transport="pigeon")
    with pytest.raises(ConfigurationError, match="VIGIE_NOTIFY_TRANSPORT"):
        make_background(vigie)

    with_settings(vigie, notify_transport="smtp", smtp_security="tls1")
    with pytest.raises(ConfigurationError, match="VIGIE_SMTP_SECURITY"):
        make_background(vigie)


def test_worker_sends_in_the_background(vigie, submit, make_agent):
    with_settings(vigie, outbox_poll_seconds=0.05)
    [worker] = make_background(vigie)
    row = submit(email="alice@example.org")

    async def scenario() -> list[str]:
        await worker.start()
        try:
            await asyncio.to_thread(do_acknowledge, vigie, row.id, make_agent("operator"))
            for _ in range(200):
                statuses = [m.status for m in outbox(vigie)]
                if statuses == ["sent"]:
                    break
                await asyncio.sleep(0.05)
            return statuses
        finally:
            await worker.stop()

    assert run_async(scenario) == ["sent"]
    assert len(list((vigie.settings.data_dir / "outbox").glob("*.eml"))) == 1


def test_worker_runs_with_the_web_app(vigie_settings, tmp_path, submit, make_agent):
    from fastapi.testclient import TestClient

    from vigie.app import create_app
    from vigie.bootstrap import build_vigie

    data = vigie_settings.model_dump()
    data.update(background_services=True, outbox_poll_seconds=0.05)
    settings = type(vigie_settings)(**data)
    app_vigie = build_vigie(settings)
    row = submit(email="alice@example.org")
    try:
        with TestClient(create_app(vigie=app_vigie)):
            do_acknowledge(app_vigie, row.id, make_agent("operator"))
            for _ in range(200):
                if [m.status for m in outbox(app_vigie)] == ["sent"]:
                    break
                time.sleep(0.05)
            assert [m.status for m in outbox(app_vigie)] == ["sent"]
    finally:
        app_vigie.db.dispose()


def test_logs_hold_no_personal_data(vigie, submit, make_agent, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    smtp_server.handler.rcpt_reply = "550 5.1.1 <alice@example.org>: user unknown"
    row = submit(email="alice@example.org", lang="fr")
    follow_confirmed(vigie, row.id, email="bob@example.org", lang="en")
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator, public_note="Rendez-vous au 12 rue Secrète")
    drain_outbox(vigie, 10)  # refused: failed
    smtp_server.handler.rcpt_reply = "451 4.3.0 <bob@example.org> later"
    do_change_status(vigie, row.id, operator, "in_progress")
    drain_outbox(vigie, 10)  # temporary failure: retried
    smtp_server.handler.rcpt_reply = "250 OK"
    with vigie.db.session(write=True) as s:
        s.execute(update(OutboxRow).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    drain_outbox(vigie, 10)  # sent

    messages = outbox(vigie)
    assert {m.status for m in messages} == {"failed", "sent"}
    records = [r for r in caplog.records if r.name.startswith("vigie.notifications")]
    assert records, "the outbox logs what it does"
    forbidden = ["alice", "bob@", "example.org", row.token, "Secrète", "Merci", "Thank you"]
    forbidden += [m.subject for m in messages]
    for record in caplog.records:
        if record.name.startswith("mail.log"):
            continue  # the test SMTP server's own log, not Vigie's
        text = record.getMessage() + repr(record.args) + str(record.exc_info or "")
        for word in forbidden:
            assert word not in text, (record.name, text)
    for m in messages:
        assert "example.org" not in (m.last_error or "")
