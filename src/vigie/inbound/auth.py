"""Whether an inbound message really comes from the address in its From: SPF, DKIM, DMARC.

Anyone can write any From address, so Vigie answers a message (the report's
reference, a refusal) only when its sender is authenticated, or when the check
could not tell and the address confirmed e-mails from Vigie before
(``notifications.consent``); a message whose checks fail is forged and never
answered (:func:`verdict`).

The checks are those of ``authheaders`` (DKIM through ``dkimpy``, DMARC with the
public suffix list, SPF through ``pyspf``), with DNS asked through a
:class:`Resolver` so that the tests publish their own records. Received by
IMAP, a message was accepted by the city's mail server: the
Authentication-Results it wrote (``VIGIE_MAIL_INBOUND_AUTHSERV_ID``) are
believed; otherwise DKIM and DMARC are checked here (SPF needs the client's
address, which only the SMTP listener knows).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from typing import Any, Protocol

log = logging.getLogger(__name__)

PASS, FAIL, NONE = "pass", "fail", "none"


class Resolver(Protocol):
    def txt(self, name: str) -> list[str]:
        """The TXT records of ``name`` (none: an empty list)."""
        ...

    def spf(self, ip: str, mail_from: str, helo: str) -> tuple[str, str]:
        """pyspf's (result, explanation) for this client and reverse path."""
        ...


class DnsResolver:
    """The real DNS (dnspython), with a time-out per query."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def txt(self, name: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = dns.resolver.resolve(name.rstrip("."), "TXT", lifetime=self.timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return []
        except dns.exception.DNSException:
            raise
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]  # type: ignore[attr-defined]

    def spf(self, ip: str, mail_from: str, helo: str) -> tuple[str, str]:
        import spf

        result, reason = spf.check2(ip, mail_from, helo, timeout=self.timeout)
        return str(result), str(reason)


def _dnsfunc(resolver: Resolver) -> Callable[..., Any]:
    """One lookup function as dkimpy (bytes in, bytes out) and authheaders' DMARC (text) call it."""

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | str | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        records = resolver.txt(text.rstrip("."))
        if text.startswith("_dmarc."):
            records = [r for r in records if r.startswith("v=DMARC1")] or records
        if not records:
            return None
        return records[0].encode() if isinstance(name, bytes) else records[0]

    return lookup


@dataclass(frozen=True)
class Authentication:
    spf: str = NONE
    dkim: str = NONE
    dkim_domain: str = ""
    dmarc: str = NONE
    from_domain: str = ""
    header: str = ""  # the Authentication-Results value the results came from (kept for agents)

    @property
    def verdict(self) -> str:
        return verdict(self)


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 3.1): same domain, or one a subdomain of the other."""
    d, f = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return bool(d and f) and (d == f or d.endswith("." + f) or f.endswith("." + d))


def verdict(auth: Authentication, mail_from_domain: str = "") -> str:
    """``pass``: the From address is authenticated; ``fail``: forged; ``none``: cannot tell.

    DMARC decides when the From domain publishes a policy. Without one, an
    aligned DKIM signature or SPF pass authenticates, a failing DKIM signature or
    SPF fail marks the message forged, and anything else cannot tell.
    """
    if auth.dmarc == PASS:
        return PASS
    if auth.dmarc == FAIL:
        return FAIL
    if auth.dkim == PASS and _aligned(auth.dkim_domain, auth.from_domain):
        return PASS
    if auth.spf == PASS and (not mail_from_domain or _aligned(mail_from_domain, auth.from_domain)):
        return PASS
    if auth.dkim == FAIL or auth.spf in (FAIL, "softfail"):
        return FAIL
    return NONE


_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)([^;]*)", re.I)


def parse_results(value: str, from_domain: str = "") -> Authentication:
    """An Authentication-Results value (RFC 8601) read into :class:`Authentication`."""
    found: dict[str, tuple[str, str]] = {}
    for method, result, props in _RESULT.findall(value):
        method, result = method.lower(), result.lower()
        if method == "dkim" and found.get("dkim", ("", ""))[0] == PASS:
            continue  # one passing signature is enough
        found[method] = (result, props)
    dkim_result, dkim_props = found.get("dkim", (NONE, ""))
    d = re.search(r"header\.d\s*=\s*([^\s;]+)", dkim_props)
    return Authentication(
        spf=found.get("spf", (NONE, ""))[0],
        dkim=dkim_result,
        dkim_domain=d.group(1) if d else "",
        dmarc=found.get("dmarc", (NONE, ""))[0],
        from_domain=from_domain,
        header=value[:1000],
    )


def from_domain_of(raw: bytes) -> str:
    from email.utils import parseaddr

    msg = message_from_bytes(raw, policy=policy.compat32)
    return parseaddr(str(msg.get("From", "")))[1].rpartition("@")[2].lower()


def check_message(
    raw: bytes,
    resolver: Resolver,
    authserv_id: str,
    *,
    ip: str | None = None,
    mail_from: str | None = None,
    helo: str | None = None,
) -> Authentication:
    """SPF (when the client ``ip`` is known), DKIM and DMARC of ``raw``, checked here."""
    import authheaders

    domain = from_domain_of(raw)
    prev = None
    if ip:
        try:
            result = resolver.spf(ip, mail_from or "", helo or "")[0]
        except Exception as exc:  # DNS trouble: SPF cannot tell
            log.info("SPF check failed: %s", type(exc).__name__)
            result = "temperror"
        identity = mail_from or helo or "unknown"
        if result and result != "none":
            prev = f"Authentication-Results: {authserv_id}; spf={result} smtp.mailfrom={identity}"
    try:
        header = authheaders.authenticate_message(
            raw, authserv_id, prev=prev, spf=False, dkim=True, dmarc=True, dnsfunc=_dnsfunc(resolver)
        )
    except Exception as exc:  # a malformed message, DNS trouble: nothing can be told
        log.info("DKIM/DMARC check failed: %s", type(exc).__name__)
        return Authentication(from_domain=domain)
    value = header.split(":", 1)[1] if header.lower().startswith("authentication-results:") else header
    found = parse_results(value, domain)
    if not _signed(raw):  # authheaders says "fail" for a message that carries no signature at all
        found = replace(found, dkim=NONE, dkim_domain="")
    return found


def _signed(raw: bytes) -> bool:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return re.search(rb"(?im)^dkim-signature\s*:", head) is not None


def trusted_results(raw: bytes, authserv_id: str) -> Authentication | None:
    """The results the city's own server wrote (the first Authentication-Results with its id)."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    for value in msg.get_all("Authentication-Results", []):
        text = re.sub(r"\s+", " ", str(value)).strip()
        if text.split(";", 1)[0].strip().split(" ")[0].lower() == authserv_id.lower():
            return parse_results(text, from_domain_of(raw))
    return None


__all__ = [
    "Authentication",
    "DnsResolver",
    "Resolver",
    "check_message",
    "parse_results",
    "trusted_results",
    "verdict",
]
