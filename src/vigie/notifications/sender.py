"""The e-mail transport seam: ``FileSender`` (embedded default) or ``SmtpSender``.

A sender delivers one built message to one recipient and says, after a crash,
whether a message it may have been sending was delivered (``delivered``):
``True`` (yes), ``False`` (certainly not: safe to send again) or ``None``
(cannot tell). Errors carry a reason without personal data (``describe_error``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from vigie.settings import Settings

log = logging.getLogger(__name__)


class SendError(Exception):
    """Delivery failed; ``reason`` holds no personal data.

    ``permanent`` failures (the server refused the recipient or the message)
    are not retried.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class DeliveryUnknown(SendError):
    """The connection broke after the message was handed over: it may have been delivered."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


@dataclass(frozen=True)
class Outgoing:
    """One claimed outbox row, detached from the database session."""

    id: int
    recipient: str
    lang: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    created_at: datetime
    token: str | None = None  # the subscription's, for List-Unsubscribe


class OutgoingMessage(EmailMessage):
    """A message, with its wire form fixed once it is signed (the signature covers those bytes)."""

    wire: bytes | None = None


class Sender(Protocol):
    name: str

    def send(self, message: EmailMessage, recipient: str, outbox_id: int) -> None: ...

    def delivered(self, outbox_id: int, message_id: str) -> bool | None: ...


def build_message(
    item: Outgoing,
    mail_from: str,
    *,
    unsubscribe: tuple[str, str] | None = None,
    one_click: bool = False,
    reply_to: str = "",
) -> OutgoingMessage:
    """RFC 5322 message: plain text, with an HTML alternative when there is one.

    ``unsubscribe`` = (https URL, mailto URL) gives ``List-Unsubscribe`` (RFC 2369);
    ``one_click`` adds ``List-Unsubscribe-Post`` (RFC 8058), for DKIM-signed mail only.
    """
    msg = OutgoingMessage()
    msg["From"] = mail_from
    msg["To"] = item.recipient
    msg["Subject"] = item.subject
    msg["Date"] = format_datetime(item.created_at)
    msg["Message-ID"] = item.message_id
    if reply_to:  # the city's inbound mailbox: a resident's reply joins the report (vigie.inbound)
        msg["Reply-To"] = reply_to
    # RFC 3834: automatic messages; no out-of-office replies, please.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if unsubscribe is not None:
        msg["List-Unsubscribe"] = f"<{unsubscribe[0]}>, <{unsubscribe[1]}>"
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(item.body_text, charset="utf-8", cte="quoted-printable")
    if item.body_html:
        msg.add_alternative(item.body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg["Content-Language"] = item.lang  # after set_content, which clears Content-* headers
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The wire form: CRLF line ends, non-ASCII headers encoded (RFC 2047); a signed
    message's exactly as signed."""
    wire = getattr(msg, "wire", None)
    return wire if wire is not None else msg.as_bytes(policy=SMTP_POLICY)


def describe_error(exc: BaseException) -> str:
    """What went wrong, for logs and ``last_error``: never an address or a body.

    SMTP replies often quote the recipient, so only their codes are kept.
    """
    if isinstance(exc, SendError):
        text = exc.reason
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text = f"recipient refused (SMTP {', '.join(str(c) for c in codes)})"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__} (SMTP {exc.smtp_code})"
    elif isinstance(exc, smtplib.SMTPException):
        text = type(exc).__name__
    elif isinstance(exc, OSError):
        detail = exc.strerror or (str(exc) if isinstance(exc, TimeoutError) else "")
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    else:
        orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
        text = type(exc).__name__ + (f" ({type(orig).__name__})" if orig is not None else "")
    return text[:500]


class FileSender:
    """Writes each message as ``<dir>/<outbox id>-<hash of Message-ID>.eml``, atomically.

    The file appears whole or not at all (temporary file, fsync, rename), so after
    a crash its presence tells exactly whether the message was delivered.
    """

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, outbox_id: int, message_id: str) -> Path:
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:16]
        return self.directory / f"{outbox_id}-{digest}.eml"

    def send(self, message: EmailMessage, recipient: str, outbox_id: int) -> None:
        target = self.path_for(outbox_id, str(message["Message-ID"]))
        if target.exists():
            return  # already delivered by an earlier attempt
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        data = message_bytes(message)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.directory)

    def delivered(self, outbox_id: int, message_id: str) -> bool | None:
        return self.path_for(outbox_id, message_id).exists()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # not supported everywhere (e.g. some network file systems)
    finally:
        os.close(fd)


DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class SmtpSender:
    """Sends through an SMTP server (smtplib, run in a worker thread).

    The conversation is driven step by step so that a failure before the message
    is handed over (connection, TLS, login, MAIL, RCPT, DATA refused) is known to
    be safe to retry, while a broken connection after the message body was sent
    raises ``DeliveryUnknown``: it is not retried (at most once).
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 0,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        mail_from: str = "",
        timeout: float = 30.0,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in DEFAULT_PORTS:
            from vigie.errors import ConfigProblem, ConfigurationError

            raise ConfigurationError(
                [
                    ConfigProblem(
                        "environment",
                        None,
                        "VIGIE_SMTP_SECURITY",
                        f"'{security}' is not one of none, starttls, ssl",
                    )
                ]
            )
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security = security
        self.username = username
        self.password = password
        self.envelope_from = parseaddr(mail_from)[1]
        self.timeout = timeout
        self.context = context

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security.strip().lower(),
            username=settings.smtp_username,
            password=settings.smtp_password,
            mail_from=settings.mail_from,
            timeout=settings.smtp_timeout_seconds,
        )

    def _tls(self) -> ssl.SSLContext:
        return self.context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SendError("the SMTP server does not offer STARTTLS")
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage, recipient: str, outbox_id: int) -> None:
        if not recipient.isascii():
            raise SendError("address needs SMTPUTF8, which is not supported", permanent=True)
        payload = message_bytes(message)
        smtp = self._connect()
        try:
            code, _ = smtp.mail(self.envelope_from)
            if code != 250:
                raise SendError(f"sender refused (SMTP {code})")
            code, _ = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise SendError(f"recipient refused (SMTP {code})", permanent=code >= 500)
            try:
                code, _ = smtp.data(payload)
            except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing handed over
                raise SendError(
                    f"DATA refused (SMTP {exc.smtp_code})", permanent=exc.smtp_code >= 500
                ) from None
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise DeliveryUnknown(
                    f"connection lost while handing the message over ({type(exc).__name__})"
                ) from None
            if code != 250:
                raise SendError(f"message refused (SMTP {code})", permanent=code >= 500)
        finally:
            try:
                smtp.quit()
            except Exception:  # the message is already accepted (or refused)
                smtp.close()

    def delivered(self, outbox_id: int, message_id: str) -> bool | None:
        return None  # SMTP gives no way to ask afterwards


def make_sender(settings: Settings) -> Sender | None:
    """The sender chosen by ``VIGIE_NOTIFY_TRANSPORT`` (None: notifications are off)."""
    from vigie.notifications.actions import transport_of

    transport = transport_of(settings)
    if transport == "file":
        return FileSender(settings.data_dir / "outbox")
    if transport == "smtp":
        return SmtpSender.from_settings(settings)
    return None


__all__ = [
    "Sender",
    "FileSender",
    "SmtpSender",
    "SendError",
    "DeliveryUnknown",
    "Outgoing",
    "build_message",
    "describe_error",
    "make_sender",
]
