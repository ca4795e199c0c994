"""The inbound mail channel's background service, chosen by ``VIGIE_MAIL_INBOUND``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.runtime import Vigie

if TYPE_CHECKING:
    from vigie.background import BackgroundService

KINDS = ("none", "smtp", "imap")


def make_background(v: Vigie) -> list[BackgroundService]:
    kind = v.settings.mail_inbound.strip().lower()
    if kind not in KINDS:
        raise ConfigurationError(
            [
                ConfigProblem(
                    "environment", None, "VIGIE_MAIL_INBOUND", f"'{kind}' is not one of {', '.join(KINDS)}"
                )
            ]
        )
    if kind == "smtp":
        from vigie.inbound.smtp import SmtpListener

        return [SmtpListener(v)]
    if kind == "imap":
        from vigie.inbound.imap import ImapPoller

        return [ImapPoller(v)]
    return []


__all__ = ["make_background"]
