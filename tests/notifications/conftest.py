"""Fixtures of the notification tests: reports with e-mails, a real local SMTP server."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import delete, select

from vigie.notifications.consent import CONFIRM, do_confirm, link_code
from vigie.notifications.storage import OutboxRow
from vigie.reports.actions import do_follow
from vigie.reports.intake import Submission, check_submission, do_submit_report
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie
from vigie.settings import Settings

DIJON = {"lat": 47.3220, "long": 5.0415}
SMTP_USER = "vigie"
SMTP_PASSWORD = "smtp-test-password"


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    """The shared settings, without background services (tests drain the outbox themselves)."""
    data = vigie_settings.model_dump()
    data.update(
        background_services=False,
        notify_transport="file",
        mail_from="Vigie <no-reply@vigie.example>",
        outbox_max_attempts=3,
        outbox_retention_days=30,
        mail_digest_minutes=0,  # each change at once; the digest's tests set a window
    )
    return Settings(**data)


def with_settings(v: Vigie, **changes: Any) -> None:
    """Change settings of a running Vigie (tests only)."""
    data = v.settings.model_dump()
    data.update(changes)
    v.settings = Settings(**data)


@pytest.fixture
def submit(vigie: Vigie) -> Callable[..., ReportRow]:
    """submit(email=..., lang=...) -> a new pothole report in Dijon, through the use cases."""

    def make(email: str = "", lang: str = "fr", confirmed: bool = True, **over: Any) -> ReportRow:
        values: dict[str, Any] = {
            "service_code": "nid-de-poule",
            "channel": "web",
            "description": "Trou profond devant la boulangerie",
            "lat": DIJON["lat"],
            "long": DIJON["long"],
            "attributes": {"danger_immediat": "non"},
            "reporter_email": email,
            "reporter_lang": lang,
        }
        values.update(over)
        row, created = do_submit_report(vigie, check_submission(vigie, Submission(**values)))
        assert created
        if confirmed and email:
            confirm_reporter(vigie, row)
        return row

    return make


def confirm_reporter(v: Vigie, row: ReportRow) -> None:
    """The reporter confirms their address through the receipt's link; the receipt is then
    dropped from the outbox, so that tests of later messages see only those."""
    do_confirm(v, row.token, link_code(v.settings.secret_key, CONFIRM, row.token))
    with v.db.session(write=True) as s:
        s.execute(delete(OutboxRow).where(OutboxRow.kind == "receipt", OutboxRow.token == row.token))
        s.commit()


def follow_confirmed(v: Vigie, report_id: int, email: str = "", lang: str = "fr") -> tuple[ReportRow, str]:
    """do_follow, then the address confirms through its link; the request to confirm is
    dropped from the outbox, so that tests of later messages see only those."""
    row, token = do_follow(v, report_id, email=email, lang=lang)
    if email:
        do_confirm(v, token, link_code(v.settings.secret_key, CONFIRM, token))
        with v.db.session(write=True) as s:
            s.execute(delete(OutboxRow).where(OutboxRow.kind == "confirm", OutboxRow.token == token))
            s.commit()
    return row, token


def outbox(v: Vigie) -> list[OutboxRow]:
    with v.db.session() as s:
        return list(s.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class RecordingHandler:
    """aiosmtpd handler: accepts and records messages, or answers what a test asks."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str = "250 OK"
    data_reply: str = "250 Message accepted for delivery"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if not self.rcpt_reply.startswith("250"):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_reply.startswith("250"):
            content = envelope.original_content or envelope.content
            with self.lock:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(content)))
        return self.data_reply


class SmtpServer:
    def __init__(self, handler: RecordingHandler, port: int) -> None:
        self.handler = handler
        self.port = port

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok)


def _start(handler: RecordingHandler, **server_kwargs: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10, **server_kwargs)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server(vigie: Vigie) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free 127.0.0.1 port; Vigie is set to use it."""
    handler = RecordingHandler()
    controller, port = _start(handler)
    with_settings(
        vigie,
        notify_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        mail_from="Vigie Dijon <no-reply@vigie.example>",
    )
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_auth_server(vigie: Vigie) -> Iterator[SmtpServer]:
    """Like smtp_server, but the server requires AUTH (LOGIN/PLAIN, allowed without TLS here)."""
    handler = RecordingHandler()
    controller, port = _start(
        handler, authenticator=_authenticate, auth_required=True, auth_require_tls=False
    )
    with_settings(
        vigie,
        notify_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_timeout_seconds=5,
    )
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


def run_async(make_coro: Callable[[], Any]) -> Any:
    """asyncio.run in a thread of its own: another plugin may own this thread's event loop."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make_coro()))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    if errors:
        raise errors[0]
    assert result, "the coroutine did not finish in time"
    return result[0]
