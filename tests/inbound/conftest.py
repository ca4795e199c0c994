"""Fixtures of the inbound e-mail tests: messages as mail clients write them, the city's
DNS as the tests publish it (SPF, DKIM, DMARC records checked by the real libraries)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import dkim
import pytest
import spf
from sqlalchemy import select

from vigie.db import utcnow
from vigie.notifications.storage import OutboxRow
from vigie.runtime import Vigie
from vigie.settings import Settings

CITY_MAILBOX = "allo@dijon.example"


class PublishedDns:
    """TXT records the tests publish; SPF evaluated by pyspf on the sender domain's record."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}

    def publish(self, name: str, value: str) -> None:
        self.records.setdefault(name.rstrip(".").lower(), []).append(value)

    def txt(self, name: str) -> list[str]:
        return list(self.records.get(name.rstrip(".").lower(), []))

    def spf(self, ip: str, mail_from: str, helo: str) -> tuple[str, str]:
        domain = (mail_from or helo).rpartition("@")[2].lower()
        record = next((r for r in self.txt(domain) if r.startswith("v=spf1")), None)
        if record is None:
            return "none", "no SPF record"
        result, _code, reason = spf.query(ip, mail_from, helo).check(spf=record)
        return str(result), str(reason)


@pytest.fixture
def vigie_settings(vigie_settings: Settings) -> Settings:
    data = vigie_settings.model_dump()
    data.update(
        background_services=False,
        notify_transport="file",
        mail_from="Dijon Métropole <no-reply@dijon.example>",
        mail_inbound="smtp",
        mail_inbound_address=CITY_MAILBOX,
        mail_digest_minutes=0,
        triage_retrain_minutes=0,
    )
    return Settings(**data)


@pytest.fixture
def dns(vigie: Vigie) -> Iterator[PublishedDns]:
    published = PublishedDns()
    vigie.caches.dns_resolver = published
    yield published


@pytest.fixture(scope="session")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """(private key PEM, public key base64 DER), made by openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test key"
    folder: Path = tmp_path_factory.mktemp("dkim-in")
    private = folder / "private.pem"
    subprocess.run([openssl, "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        [openssl, "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return private.read_bytes(), base64.b64encode(der).decode()


@pytest.fixture
def resident_domain(dns: PublishedDns, rsa_key: tuple[bytes, str]) -> str:
    """A domain that signs its mail (selector ``s1``), says so in DMARC, and sends from 192.0.2.10."""
    dns.publish("s1._domainkey.habitant.example", f"v=DKIM1; k=rsa; p={rsa_key[1]}")
    dns.publish("_dmarc.habitant.example", "v=DMARC1; p=reject")
    dns.publish("habitant.example", "v=spf1 ip4:192.0.2.10 -all")
    return "habitant.example"


def jpeg(gps: tuple[float, float] | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    from tests.reports.helpers import jpeg_bytes

    return jpeg_bytes(size, gps=gps)


def make_mail(
    sender: str = "Alice Martin <alice@habitant.example>",
    subject: str = "Nid de poule",
    text: str = "Il y a un gros nid de poule dans ma rue.",
    html: str | None = None,
    photos: list[bytes] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    headers: dict[str, str] | None = None,
    sign_with: tuple[bytes, str] | None = None,
) -> bytes:
    """An e-mail as a resident's client writes it; DKIM-signed with (key, domain) if given."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = CITY_MAILBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    for k, val in (headers or {}).items():
        msg[k] = val
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for n, data in enumerate(photos or [], 1):
        msg.add_attachment(data, maintype="image", subtype="jpeg", filename=f"photo{n}.jpg")
    for name, ctype, data in attachments or []:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    raw = msg.as_bytes(policy=SMTP)  # CRLF line ends, as on the wire
    if sign_with is not None:
        key, domain = sign_with
        sig = dkim.sign(
            raw, b"s1", domain.encode(), key, include_headers=[b"from", b"to", b"subject", b"date"]
        )
        raw = sig + raw
    return raw


@pytest.fixture
def outbox(vigie: Vigie) -> Callable[..., list[OutboxRow]]:
    def read(**where: Any) -> list[OutboxRow]:
        with vigie.db.session() as s:
            q = select(OutboxRow).order_by(OutboxRow.id)
            for k, val in where.items():
                q = q.where(getattr(OutboxRow, k) == val)
            return list(s.scalars(q))

    return read
