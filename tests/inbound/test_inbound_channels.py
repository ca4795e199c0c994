"""The two ways mail reaches Vigie: its own SMTP listener, and polling a real IMAP server."""

from __future__ import annotations

import asyncio
import imaplib
import shutil
import smtplib
import socket
import tempfile
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from vigie.inbound.imap import mailbox_of, poll_once
from vigie.inbound.smtp import SmtpListener
from vigie.inbound.storage import InboundMessageRow
from vigie.reports.actions import get_report
from vigie.runtime import Vigie
from vigie.settings import Settings

from .conftest import CITY_MAILBOX, jpeg, make_mail
from .dovecot import DOVECOT, dovecot

LIBERTE = (47.322729, 5.035801)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    """asyncio.run in a thread of its own: a browser test of the same xdist worker may have left
    Playwright's event loop running in this one (asyncio.run then refuses to start)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=120)


def _with(v: Vigie, **changes: object) -> None:
    data = v.settings.model_dump()
    data.update(changes)
    v.settings = Settings(**data)


def test_inbound_smtp_listener_turns_a_message_into_a_report(
    vigie: Vigie, resident_domain, rsa_key, outbox
) -> None:
    port = _free_port()
    _with(vigie, mail_inbound_smtp_port=port, mail_inbound_max_bytes=2 * 1024 * 1024)
    # The listener sees the client at 127.0.0.1: the resident's domain allows it in SPF.
    vigie.caches.dns_resolver.records["habitant.example"] = ["v=spf1 ip4:127.0.0.1 -all"]  # type: ignore[union-attr]
    listener = SmtpListener(vigie)
    _run(listener.start())
    try:
        raw = make_mail(photos=[jpeg(gps=LIBERTE), jpeg()], sign_with=(rsa_key[0], resident_domain))
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo("mail.habitant.example")
            assert "size" in smtp.esmtp_features
            code, _ = smtp.docmd("MAIL FROM:<alice@habitant.example>")
            assert code == 250
            code, answer = smtp.docmd("RCPT TO:<someone.else@dijon.example>")
            assert code == 550  # no relay
            code, _ = smtp.docmd(f"RCPT TO:<{CITY_MAILBOX}>")
            assert code == 250
            code, answer = smtp.data(raw)
            assert code == 250 and b"report DIJ-" in answer, answer
            reference = answer.decode().rsplit(" ", 1)[-1]
            # Too big: refused by the protocol, nothing read.
            with pytest.raises(smtplib.SMTPSenderRefused) as too_big:
                smtp.sendmail("alice@habitant.example", [CITY_MAILBOX], b"x" * (3 * 1024 * 1024))
            assert too_big.value.smtp_code == 552
    finally:
        _run(listener.stop())
    with vigie.db.session() as s:
        row = s.scalar(select(InboundMessageRow))
    assert row is not None and row.via == "smtp" and row.verdict == "pass"
    report = get_report(vigie, row.report_id)
    assert report.reference == reference and len(report.photos) == 2 and report.lat is not None
    assert [m.recipient for m in outbox()] == ["alice@habitant.example"]


@pytest.fixture
def imap_server():
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (.ci/run installs dovecot-imapd)")
    # Not under pytest's temporary directory: dovecot's own users must reach the files.
    root = Path(tempfile.mkdtemp(prefix="vigie-dovecot-"))
    root.chmod(0o755)
    try:
        with dovecot(root, CITY_MAILBOX, "imap-test-password") as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _append(server, raw: bytes, folder: str = "INBOX") -> None:
    imap = imaplib.IMAP4("127.0.0.1", server.port)
    try:
        imap.login(server.user, server.password)
        if folder != "INBOX":
            imap.create(folder)
        assert imap.append("INBOX", None, None, raw)[0] == "OK"
    finally:
        imap.logout()


def test_inbound_imap_polling_reads_the_city_mailbox(vigie: Vigie, dns, imap_server) -> None:
    _with(
        vigie, mail_inbound="imap", mail_inbound_imap_url=imap_server.url(), mail_inbound_imap_done="Traites"
    )
    _append(imap_server, make_mail(text="Lampadaire éteint rue de la Liberté", subject="Éclairage"))
    _append(
        imap_server, make_mail(headers={"Auto-Submitted": "auto-replied"}, subject="Absent"), folder="Traites"
    )
    assert poll_once(vigie) == 2
    assert poll_once(vigie) == 0  # handled messages left the inbox
    with vigie.db.session() as s:
        outcomes = sorted((r.outcome, r.via) for r in s.scalars(select(InboundMessageRow)))
    assert outcomes == [("ignored", "imap"), ("report", "imap")]

    imap = imaplib.IMAP4("127.0.0.1", imap_server.port)
    imap.login(imap_server.user, imap_server.password)
    imap.select('"Traites"')
    _, found = imap.uid("SEARCH", "ALL")
    imap.logout()
    assert len(found[0].split()) == 2


def test_inbound_imap_wrong_password_handles_nothing(vigie: Vigie, dns, imap_server) -> None:
    url = imap_server.url().replace("imap-test-password", "wrong")
    _with(vigie, mail_inbound_imap_url=url)
    with pytest.raises(imaplib.IMAP4.error) as failed:
        poll_once(vigie)
    assert "wrong" not in str(failed.value)


def test_inbound_imap_url_is_checked() -> None:
    box = mailbox_of("imaps://allo%40ville.example:p%40ss@imap.ville.example/Signalements")
    assert (box.tls, box.port, box.user, box.password, box.folder) == (
        True,
        993,
        "allo@ville.example",
        "p@ss",
        "Signalements",
    )
    from vigie.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        mailbox_of("http://imap.example/")
