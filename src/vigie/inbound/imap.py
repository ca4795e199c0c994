"""IMAP polling of the city's mailbox (``VIGIE_MAIL_INBOUND=imap``), with the standard library.

Every ``VIGIE_MAIL_INBOUND_POLL_SECONDS`` the unseen messages of the folder are
read (without marking them), each handled by ``inbound.actions.do_receive``,
then flagged seen (or moved to ``VIGIE_MAIL_INBOUND_IMAP_DONE``). A message
that fails stays unseen and is tried again at the next poll; one read twice
(a crash between handling and flagging) has one outcome, by its Message-ID.
The password never leaves the connection: it is not logged, nor in errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.inbound.actions import Envelope, do_receive
from vigie.runtime import Vigie

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Mailbox:
    tls: bool  # imaps: TLS from the start
    host: str
    port: int
    user: str
    password: str
    folder: str


def mailbox_of(url: str) -> Mailbox:
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ConfigurationError(
            [
                ConfigProblem(
                    "environment",
                    None,
                    "VIGIE_MAIL_INBOUND_IMAP_URL",
                    "expected imaps://user:password@host[:port]/FOLDER (or imap://)",
                )
            ]
        )
    tls = parts.scheme == "imaps"
    return Mailbox(
        tls=tls,
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _connect(box: Mailbox, timeout: float) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if box.tls:
        return imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=timeout)
    imap = imaplib.IMAP4(box.host, box.port, timeout=timeout)
    if "STARTTLS" in imap.capabilities:
        imap.starttls(ssl_context=context)
    elif box.host not in LOOPBACK:
        imap.logout()
        raise ConnectionError("the IMAP server offers no STARTTLS: the password would travel in clear")
    return imap


def poll_once(v: Vigie, stopping: threading.Event | None = None) -> int:
    """Handle the unseen messages of the city's mailbox now; how many were handled."""
    settings = v.settings
    box = mailbox_of(settings.mail_inbound_imap_url)
    handled = 0
    imap = _connect(box, timeout=30)
    try:
        imap.login(box.user, box.password)
        status, _ = imap.select(_quoted(box.folder))
        if status != "OK":
            raise ConnectionError(f"cannot open the folder {box.folder!r}")
        _, found = imap.uid("SEARCH", "UNSEEN")  # type: ignore[arg-type]
        for uid in (found[0] or b"").split():
            if stopping is not None and stopping.is_set():
                break
            _, data = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if not isinstance(raw, bytes):
                continue
            try:
                do_receive(v, raw, Envelope(via="imap"))
            except Exception as exc:  # left unseen: tried again at the next poll
                log.error("inbound message %s not handled: %s", uid.decode(), type(exc).__name__)
                continue
            _done(imap, uid.decode(), settings.mail_inbound_imap_done)
            handled += 1
    finally:
        with contextlib.suppress(Exception):
            imap.logout()
    return handled


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _done(imap: imaplib.IMAP4, uid: str, folder: str) -> None:
    imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if not folder:
        return
    if "MOVE" in imap.capabilities:
        imap.uid("MOVE", uid, _quoted(folder))
    else:
        imap.uid("COPY", uid, _quoted(folder))
        imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        imap.expunge()


class ImapPoller:
    """Background service: polls the mailbox in a thread, every poll interval."""

    name = "inbound.imap"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        mailbox_of(v.settings.mail_inbound_imap_url)  # a bad URL stops the start, not each poll
        self._stopping = threading.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(poll_once, self.v, self._stopping)
            except Exception as exc:  # the server away: try again at the next poll
                log.warning("IMAP poll failed: %s", type(exc).__name__)
            await asyncio.to_thread(self._stopping.wait, self.v.settings.mail_inbound_poll_seconds)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


__all__ = ["ImapPoller", "Mailbox", "mailbox_of", "poll_once"]
