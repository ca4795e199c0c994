"""The embedded default: an SMTP listener (aiosmtpd) the city's MX relays its mail to.

Each message accepted for the city's mailbox goes through
``inbound.actions.do_receive`` before the answer to DATA, so the sending server
is told the report's reference (or why it was set aside) in its 250 reply. A
message over ``VIGIE_MAIL_INBOUND_MAX_BYTES`` is refused by the protocol itself
(552, announced beforehand through SIZE). Mail for any other address is
refused (550): this is no relay.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from vigie.inbound.actions import Envelope, do_receive
from vigie.notifications.actions import inbound_address
from vigie.runtime import Vigie

log = logging.getLogger(__name__)


class InboundHandler:
    def __init__(self, v: Vigie) -> None:
        self.v = v

    def accepts(self, address: str) -> bool:
        mailbox = inbound_address(self.v.settings).lower()
        return not mailbox or address.strip().lower() == mailbox

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.accepts(address):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        env = Envelope(via="smtp", ip=peer, helo=session.host_name, mail_from=envelope.mail_from)
        try:
            done = await asyncio.to_thread(do_receive, self.v, raw, env)
        except Exception as exc:  # the database away: the sending server will try again later
            log.error("inbound message not handled: %s", type(exc).__name__)
            return "451 4.3.0 cannot take this message now, try again later"
        if done.outcome == "report":
            return f"250 2.0.0 OK: report {done.reference}"
        if done.outcome == "reply":
            return f"250 2.0.0 OK: added to report {done.reference}"
        # Accepted all the same: refusing would have the relay bounce to a sender that may be forged.
        return f"250 2.0.0 OK: {done.outcome} ({done.reason[:100]})"


class SmtpListener:
    """Background service: the listener runs in a thread of its own (aiosmtpd's Controller)."""

    name = "inbound.smtp"

    def __init__(self, v: Vigie) -> None:
        self.v = v
        self.controller: Controller | None = None

    @property
    def port(self) -> int:
        return self.v.settings.mail_inbound_smtp_port

    async def start(self) -> None:
        settings = self.v.settings
        self.controller = Controller(
            InboundHandler(self.v),
            hostname=settings.mail_inbound_smtp_host,
            port=settings.mail_inbound_smtp_port,
            data_size_limit=settings.mail_inbound_max_bytes,
            decode_data=False,
            ident="Vigie inbound",
        )
        await asyncio.to_thread(self.controller.start)
        log.info(
            "inbound SMTP listener on %s:%s", settings.mail_inbound_smtp_host, settings.mail_inbound_smtp_port
        )

    async def stop(self) -> None:
        if self.controller is not None:
            await asyncio.to_thread(self.controller.stop)
            self.controller = None


__all__ = ["InboundHandler", "SmtpListener"]
