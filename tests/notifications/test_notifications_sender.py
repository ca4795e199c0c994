"""Transports: .eml files and a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import update

from vigie.db import utcnow
from vigie.notifications.sender import FileSender, SmtpSender, make_sender
from vigie.notifications.service import drain_outbox
from vigie.notifications.storage import OutboxRow
from vigie.reports.actions import do_acknowledge

from .conftest import SMTP_PASSWORD, SMTP_USER, follow_confirmed, free_port, outbox, with_settings


def make_due(vigie) -> None:
    """Skip the backoff wait: every pending row is due now."""
    with vigie.db.session(write=True) as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        s.commit()


def test_file_sender_writes_parseable_eml(vigie, submit, make_agent):
    row = submit(email="alice@example.org", lang="fr")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert isinstance(make_sender(vigie.settings), FileSender)

    assert drain_outbox(vigie, 10) == 1

    [queued] = outbox(vigie)
    assert queued.status == "sent"
    assert queued.sent_at is not None
    assert queued.attempts == 1
    files = sorted((vigie.settings.data_dir / "outbox").iterdir())
    assert [f.name for f in files] == [
        FileSender(vigie.settings.data_dir / "outbox").path_for(queued.id, queued.message_id).name
    ]
    assert files[0].name.startswith(f"{queued.id}-")
    raw = files[0].read_bytes()
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["To"] == "alice@example.org"
    assert msg["From"] == "Vigie <no-reply@vigie.example>"
    assert msg["Subject"] == f"[Dijon Métropole] Votre signalement {row.reference} : pris en compte"
    assert msg["Message-ID"] == queued.message_id
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Merci pour votre signalement" in text
    assert f"http://testserver/suivi/{row.token}" in text
    assert f'href="http://testserver/suivi/{row.token}"' in html
    # nothing left behind, and a second drain sends nothing
    assert drain_outbox(vigie, 10) == 0
    assert len(list((vigie.settings.data_dir / "outbox").iterdir())) == 1


def test_file_sender_does_not_write_the_same_message_twice(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    drain_outbox(vigie, 10)
    [queued] = outbox(vigie)
    sender = FileSender(vigie.settings.data_dir / "outbox")
    path = sender.path_for(queued.id, queued.message_id)
    before = path.read_bytes()
    from vigie.notifications.sender import Outgoing, build_message

    item = Outgoing(
        queued.id,
        queued.recipient,
        queued.lang,
        "changed subject",
        "changed",
        None,
        queued.message_id,
        queued.created_at,
    )
    sender.send(build_message(item, "x@vigie.example"), queued.recipient, queued.id)
    assert path.read_bytes() == before
    assert sender.delivered(queued.id, queued.message_id) is True
    assert sender.delivered(queued.id, "<other@vigie.example>") is False


def test_smtp_delivers_to_local_server(vigie, submit, make_agent, smtp_server):
    row = submit(email="alice@example.org", lang="en")
    follow_confirmed(vigie, row.id, email="dan@example.org", lang="fr")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert isinstance(make_sender(vigie.settings), SmtpSender)

    assert drain_outbox(vigie, 10) == 2

    assert [r.rcpt_tos for r in smtp_server.received] == [
        ["alice@example.org"],
        ["dan@example.org"],
    ]
    first = smtp_server.received[0]
    assert first.mail_from == "no-reply@vigie.example"
    msg = first.message
    queued = outbox(vigie)
    assert msg["Message-ID"] == queued[0].message_id
    assert msg["From"] == "Vigie Dijon <no-reply@vigie.example>"
    assert msg["Subject"] == f"[Dijon Métropole] Your report {row.reference}: acknowledged"
    assert msg["Content-Language"] == "en"
    text = msg.get_body(("plain",)).get_content()
    assert "Thank you for your report" in text
    assert f"http://testserver/suivi/{row.token}" in text
    second = smtp_server.received[1].message
    assert second["Subject"].startswith("[Dijon Métropole] Signalement suivi")
    assert [m.status for m in queued] == ["sent", "sent"]
    assert drain_outbox(vigie, 10) == 0
    assert len(smtp_server.received) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_username_and_password(vigie, submit, make_agent, smtp_auth_server):
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))

    # Without credentials the server refuses MAIL: retried later, not sent.
    assert drain_outbox(vigie, 10) == 0
    [queued] = outbox(vigie)
    assert queued.status == "pending"
    assert "530" in (queued.last_error or "")

    with_settings(vigie, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD)
    make_due(vigie)
    assert drain_outbox(vigie, 10) == 1
    assert len(smtp_auth_server.received) == 1
    [queued] = outbox(vigie)
    assert queued.status == "sent"
    assert queued.attempts == 2


def test_smtp_temporary_failure_is_retried_with_backoff_then_failed(vigie, submit, make_agent, smtp_server):
    smtp_server.handler.rcpt_reply = "451 4.3.0 <alice@example.org> try again later"
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert vigie.settings.outbox_max_attempts == 3

    before = utcnow()
    assert drain_outbox(vigie, 10) == 0
    [queued] = outbox(vigie)
    assert (queued.status, queued.attempts) == ("pending", 1)
    assert queued.last_error == "recipient refused (SMTP 451)"
    wait = queued.next_attempt_at - before
    assert timedelta(seconds=29) <= wait <= timedelta(seconds=32)

    assert drain_outbox(vigie, 10) == 0  # not due yet: no new attempt
    assert outbox(vigie)[0].attempts == 1

    make_due(vigie)
    before = utcnow()
    drain_outbox(vigie, 10)
    [queued] = outbox(vigie)
    assert (queued.status, queued.attempts) == ("pending", 2)
    wait = queued.next_attempt_at - before
    assert timedelta(seconds=59) <= wait <= timedelta(seconds=62)

    make_due(vigie)
    drain_outbox(vigie, 10)
    [queued] = outbox(vigie)
    assert (queued.status, queued.attempts) == ("failed", 3)
    assert queued.sent_at is None

    make_due(vigie)
    assert drain_outbox(vigie, 10) == 0
    assert outbox(vigie)[0].attempts == 3
    assert smtp_server.received == []


def test_smtp_temporary_failure_then_success_reuses_message_id(vigie, submit, make_agent, smtp_server):
    smtp_server.handler.data_reply = "452 4.3.1 insufficient storage"
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    drain_outbox(vigie, 10)
    [queued] = outbox(vigie)
    assert queued.status == "pending"
    assert queued.last_error == "message refused (SMTP 452)"

    smtp_server.handler.data_reply = "250 OK"
    make_due(vigie)
    assert drain_outbox(vigie, 10) == 1
    [received] = smtp_server.received
    assert received.message["Message-ID"] == queued.message_id


def test_smtp_permanent_refusal_fails_without_retry(vigie, submit, make_agent, smtp_server):
    smtp_server.handler.rcpt_reply = "550 5.1.1 <alice@example.org>: user unknown"
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    drain_outbox(vigie, 10)
    [queued] = outbox(vigie)
    assert (queued.status, queued.attempts) == ("failed", 1)
    assert queued.last_error == "recipient refused (SMTP 550)"


def test_smtp_server_down_is_retried(vigie, submit, make_agent):
    with_settings(
        vigie,
        notify_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nothing listens there
        smtp_security="none",
        smtp_timeout_seconds=2,
    )
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert drain_outbox(vigie, 10) == 0
    [queued] = outbox(vigie)
    assert (queued.status, queued.attempts) == ("pending", 1)
    assert queued.last_error.startswith("ConnectionRefusedError")


def test_smtp_starttls_not_offered_is_not_sent_in_clear(vigie, submit, make_agent, smtp_server):
    with_settings(vigie, smtp_security="starttls")
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert drain_outbox(vigie, 10) == 0
    [queued] = outbox(vigie)
    assert queued.status == "pending"
    assert queued.last_error == "the SMTP server does not offer STARTTLS"
    assert smtp_server.received == []


def test_smtp_connection_lost_after_data_is_not_resent(vigie, submit, make_agent, smtp_server, monkeypatch):
    real_data = smtplib.SMTP.data

    def data_then_disconnect(self, msg):
        real_data(self, msg)  # the server has the message…
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")  # …we never know

    monkeypatch.setattr(smtplib.SMTP, "data", data_then_disconnect)
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert drain_outbox(vigie, 10) == 0
    [queued] = outbox(vigie)
    assert (queued.status, queued.attempts) == ("failed", 1)
    assert queued.last_error.startswith("delivery unknown, not resent")
    make_due(vigie)
    drain_outbox(vigie, 10)
    assert len(smtp_server.received) == 1
