"""DKIM signatures of outgoing e-mail (dkimpy), when a key is set.

A signature lets the receiving server check that the message comes from the
city's domain and was not changed on the way. It also allows one-click
unsubscription (RFC 8058): a mail provider may POST to the ``List-Unsubscribe``
URL only if the signature covers ``List-Unsubscribe`` and
``List-Unsubscribe-Post``, so those two headers are sent on signed mail only.

The key is RSA (PEM), given in ``VIGIE_DKIM_PRIVATE_KEY`` either as the PEM
text or as the path of a file holding it; the public half is published in DNS
as ``<selector>._domainkey.<domain>`` TXT ``v=DKIM1; k=rsa; p=…``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from vigie.errors import ConfigProblem, ConfigurationError
from vigie.settings import Settings

# Headers a forger would want to change; ``h=`` names those present.
SIGNED = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


def _problem(field: str, message: str) -> ConfigurationError:
    return ConfigurationError([ConfigProblem("environment", None, field, message)])


@dataclass(frozen=True)
class DkimSigner:
    selector: str
    domain: str
    key: bytes

    def signature(self, data: bytes) -> bytes:
        """The ``DKIM-Signature:`` header line (CRLF-terminated) for the wire form ``data``."""
        present = {line.split(b":", 1)[0].strip().lower() for line in _header_lines(data)}
        wanted = [h.encode() for h in SIGNED if h.lower().encode() in present]
        return bytes(
            dkim.sign(
                data,
                self.selector.encode(),
                self.domain.encode(),
                self.key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=wanted,
            )
        )


def _header_lines(data: bytes) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return [line for line in head.split(b"\r\n") if line and not line[:1].isspace()]


def make_signer(settings: Settings) -> DkimSigner | None:
    """The signer the settings ask for, or None; a key that cannot be read is a
    configuration error (checked when the outbox worker starts), not a failure per message."""
    s = settings
    return _signer(s.dkim_private_key, s.dkim_selector, s.dkim_domain, s.mail_from)


@lru_cache(maxsize=4)
def _signer(raw: str, selector: str, domain: str, mail_from: str) -> DkimSigner | None:
    raw = raw.strip()
    if not raw:
        return None
    if not selector.strip():
        raise _problem("VIGIE_DKIM_SELECTOR", "is required with VIGIE_DKIM_PRIVATE_KEY")
    if raw.startswith("-----BEGIN"):
        key = raw.replace("\\n", "\n").encode()
    else:
        try:
            key = Path(raw).expanduser().read_bytes()
        except OSError as exc:
            raise _problem("VIGIE_DKIM_PRIVATE_KEY", f"cannot read the key file ({exc.strerror})") from None
    try:
        parse_pem_private_key(key)
    except (UnparsableKeyError, ValueError, IndexError):
        raise _problem("VIGIE_DKIM_PRIVATE_KEY", "is not an RSA private key in PEM form") from None
    domain = domain.strip() or parseaddr(mail_from)[1].rpartition("@")[2]
    if not domain:
        raise _problem("VIGIE_DKIM_DOMAIN", "is required when VIGIE_MAIL_FROM has no domain")
    return DkimSigner(selector.strip(), domain, key)


__all__ = ["DkimSigner", "SIGNED", "make_signer"]
