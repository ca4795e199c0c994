"""Whether an inbound message really comes from the address in its From: SPF, DKIM, DMARC.

Anyone can write any From address, so Vigie answers a message (the report's
reference, a refusal) only when its sender is authenticated, or when the check
could not tell and the address confirmed e-mails from Vigie before
(``notifications.consent``); a message whose checks fail is forged and never
answered (:func:`verdict`).

DKIM is checked by ``dkimpy`` and SPF by ``pyspf``; DMARC (RFC 7489) is evaluated
here on their results, with the public suffix list of ``publicsuffix2`` parsed
once per process (``authheaders`` parsed it anew four times per message: 5 s of
a 12 MB message's 20 under load, bench/bench_inbound.py). DNS is asked through
a :class:`Resolver` so that the tests publish their own records. Received by
IMAP, a message was accepted by the city's mail server: the
Authentication-Results it wrote (``VIGIE_MAIL_INBOUND_AUTHSERV_ID``) are
believed; otherwise DKIM and DMARC are checked here (SPF needs the client's
address, which only the SMTP listener knows).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from functools import lru_cache
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
    """The lookup function dkimpy calls (a bytes name in, the TXT record's bytes out)."""

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
    """Relaxed alignment (RFC 7489 3.1): the same organisational domain."""
    return _aligned_as(domain, from_domain, "r")


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


def _head(raw: bytes) -> bytes:
    """The header block: what the From, signatures and results are read from (never the
    body, which may be megabytes of photos)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[: at + len(sep)]
    return raw


def from_domain_of(raw: bytes) -> str:
    from email.utils import parseaddr

    msg = message_from_bytes(_head(raw), policy=policy.compat32)
    return parseaddr(str(msg.get("From", "")))[1].rpartition("@")[2].lower()


@lru_cache(maxsize=1)
def _suffixes() -> Any:
    from publicsuffix2 import PublicSuffixList

    return PublicSuffixList()  # the list shipped with the package, parsed once per process


def org_domain(domain: str) -> str:
    """The organisational domain (RFC 7489 3.2): one label under the public suffix."""
    return str(_suffixes().get_public_suffix(domain.lower().rstrip(".")) or domain).lower()


def _dmarc_record(domain: str, resolver: Resolver) -> dict[str, str] | None:
    """The DMARC policy of ``domain``, else of its organisational domain (RFC 7489 6.6.3)."""
    for name in dict.fromkeys([domain, org_domain(domain)]):
        records = [r for r in resolver.txt(f"_dmarc.{name}") if r.replace(" ", "").startswith("v=DMARC1")]
        if len(records) == 1:
            tags = {}
            for part in records[0].split(";"):
                key, _, value = part.partition("=")
                if key.strip():
                    tags[key.strip().lower()] = value.strip().lower()
            return tags
    return None


def _aligned_as(domain: str, from_domain: str, mode: str) -> bool:
    if not domain or not from_domain:
        return False
    if mode == "s":
        return domain.lower().rstrip(".") == from_domain.lower().rstrip(".")
    return org_domain(domain) == org_domain(from_domain)


def check_message(
    raw: bytes,
    resolver: Resolver,
    authserv_id: str,
    *,
    ip: str | None = None,
    mail_from: str | None = None,
    helo: str | None = None,
) -> Authentication:
    """SPF (when the client ``ip`` is known), DKIM and DMARC of ``raw``, checked here.

    DKIM by dkimpy, SPF by pyspf, DMARC (RFC 7489: the policy of the From domain or
    its organisational domain, relaxed or strict alignment) evaluated here on their
    results, with the public suffix list parsed once per process.
    """
    import dkim

    domain = from_domain_of(raw)
    spf_result, spf_domain = NONE, ""
    if ip:
        try:
            spf_result = resolver.spf(ip, mail_from or "", helo or "")[0] or NONE
        except Exception as exc:  # DNS trouble: SPF cannot tell
            log.info("SPF check failed: %s", type(exc).__name__)
            spf_result = "temperror"
        spf_domain = (mail_from or helo or "").rpartition("@")[2].lower()
    dkim_result, dkim_domain = NONE, ""
    if _signed(raw):
        try:
            verifier = dkim.DKIM(raw)
            dkim_result = PASS if verifier.verify(dnsfunc=_dnsfunc(resolver)) else FAIL
            dkim_domain = verifier.domain.decode("ascii", "replace") if verifier.domain else ""
        except Exception as exc:  # a broken signature, DNS trouble
            log.info("DKIM check failed: %s", type(exc).__name__)
            dkim_result = FAIL
    dmarc_result = NONE
    try:
        record = _dmarc_record(domain, resolver) if domain else None
    except Exception as exc:
        log.info("DMARC lookup failed: %s", type(exc).__name__)
        record = None
    if record is not None:
        ok = (dkim_result == PASS and _aligned_as(dkim_domain, domain, record.get("adkim", "r"))) or (
            spf_result == PASS and _aligned_as(spf_domain, domain, record.get("aspf", "r"))
        )
        dmarc_result = PASS if ok else FAIL
    header = (
        f"{authserv_id}; spf={spf_result} smtp.mailfrom={spf_domain or 'none'}; "
        f"dkim={dkim_result} header.d={dkim_domain or 'none'}; dmarc={dmarc_result} header.from={domain}"
    )
    return Authentication(spf_result, dkim_result, dkim_domain, dmarc_result, domain, header)


def _signed(raw: bytes) -> bool:
    return re.search(rb"(?im)^dkim-signature\s*:", _head(raw)) is not None


def trusted_results(raw: bytes, authserv_id: str) -> Authentication | None:
    """The results the city's own server wrote (the first Authentication-Results with its id)."""
    msg = message_from_bytes(_head(raw), policy=policy.compat32)
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
