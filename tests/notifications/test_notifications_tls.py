"""SMTP over TLS (STARTTLS and implicit TLS) against a real local server with its own certificate."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from vigie.notifications.sender import Outgoing, SmtpSender, build_message

from .conftest import RecordingHandler, free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return ctx


def item() -> Outgoing:
    return Outgoing(
        id=1,
        recipient="alice@example.org",
        lang="fr",
        subject="[Dijon Métropole] Votre signalement DIJ-2026-000001 : résolu",
        body_text="Bonjour,\n\nLe nid-de-poule a été rebouché.\n",
        body_html=None,
        message_id="<tls-test@vigie.example>",
        created_at=datetime.now(UTC),
    )


def send(sender: SmtpSender) -> None:
    out = item()
    sender.send(build_message(out, "Vigie <no-reply@vigie.example>"), out.recipient, out.id)


def test_smtp_starttls_delivers_with_verified_certificate(certificate):
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
    )
    controller.start()
    try:
        trusted = ssl.create_default_context(cafile=str(certificate[0]))
        sender = SmtpSender(
            "127.0.0.1",
            port,
            "starttls",
            mail_from="Vigie <no-reply@vigie.example>",
            timeout=5,
            context=trusted,
        )
        send(sender)
        [received] = handler.received
        assert received.rcpt_tos == ["alice@example.org"]
        assert received.message["Subject"].endswith("DIJ-2026-000001 : résolu")

        # An unknown certificate is refused: nothing is sent in the clear or to an impostor.
        untrusting = SmtpSender("127.0.0.1", port, "starttls", timeout=5)
        with pytest.raises(ssl.SSLCertVerificationError):
            send(untrusting)
        assert len(handler.received) == 1
    finally:
        controller.stop()


def test_smtp_implicit_tls_delivers(certificate):
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=server_context(certificate))
    controller.start()
    try:
        trusted = ssl.create_default_context(cafile=str(certificate[0]))
        sender = SmtpSender(
            "127.0.0.1",
            port,
            "ssl",
            mail_from="Vigie <no-reply@vigie.example>",
            timeout=5,
            context=trusted,
        )
        send(sender)
        assert [r.rcpt_tos for r in handler.received] == [["alice@example.org"]]
    finally:
        controller.stop()
