"""An inbound e-mail with two photos in the control room's queue (issue 19 §5: ≤ 2 s).

End to end through the SMTP listener (aiosmtpd) in this process: the client's
DATA is timed until the listener's 250 answer, which is sent only once the
report is committed (the queue's query then finds it; checked at each round).
The message: two phone-sized JPEG photos (4032x3024, about 1.5-2.5 MB each,
one with its GPS position), a text in French, DKIM-signed by the resident's
domain, whose SPF, DKIM key and DMARC policy the benchmark publishes to the
listener's resolver (no network).

Baseline, measured in the same run: the photo pipeline alone on the same two
photos (decode, re-encode without metadata, thumbnail), the part of the work
no channel can skip. The ratio says what the e-mail channel adds around it
(parsing, SPF/DKIM/DMARC, place, service suggestion, the report's transaction).

    .venv/bin/python bench/bench_inbound.py                      # SQLite file
    .venv/bin/python bench/bench_inbound.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_x

The PostgreSQL database given is emptied and migrated. ROUNDS messages (default 8).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import os
import random
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dkim  # noqa: E402
from common import free_port, loadavg, percentile  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from vigie.bootstrap import build_vigie  # noqa: E402
from vigie.inbound.smtp import SmtpListener  # noqa: E402
from vigie.migrate import upgrade  # noqa: E402
from vigie.photos.processing import process_photo  # noqa: E402
from vigie.settings import Settings  # noqa: E402

MAILBOX = "allo@dijon.example"


class Published:
    """The resident's domain's DNS, as the benchmark publishes it."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records

    def txt(self, name: str) -> list[str]:
        return self.records.get(name.rstrip(".").lower(), [])

    def spf(self, ip: str, mail_from: str, helo: str) -> tuple[str, str]:
        import spf

        record = self.txt(mail_from.rpartition("@")[2])[0]
        result, _, reason = spf.query(ip, mail_from, helo).check(spf=record)
        return str(result), str(reason)


def phone_photo(seed: int, gps: tuple[float, float] | None) -> bytes:
    rng = random.Random(seed)
    small = Image.new("RGB", (126, 95))
    small.putdata(
        [(rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200)) for _ in range(126 * 95)]
    )
    img = small.resize((4032, 3024), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((4032, 3024), 24).convert("RGB")
    img = Image.blend(img, noise, 0.25)
    out = io.BytesIO()
    exif = Image.Exif()
    if gps is not None:
        lat, lon = gps

        def dms(x: float) -> tuple[float, float, float]:
            d = int(x)
            m = int((x - d) * 60)
            return (float(d), float(m), round(((x - d) * 60 - m) * 60, 4))

        exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def message(n: int, photos: list[bytes], key: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice Martin <alice@habitant.example>"
    msg["To"] = MAILBOX
    msg["Subject"] = f"Nid de poule rue de la Liberté ({n})"
    msg["Message-ID"] = make_msgid(domain="habitant.example")
    msg.set_content(
        "Bonjour,\n\nUn gros nid de poule s'est ouvert devant le 12 rue de la Liberté, "
        "dangereux pour les vélos. Photos jointes.\n\nCordialement,\n-- \nAlice"
    )
    for i, data in enumerate(photos, 1):
        msg.add_attachment(data, maintype="image", subtype="jpeg", filename=f"IMG_{i}.jpg")
    raw = msg.as_bytes(policy=SMTP)
    sig = dkim.sign(raw, b"s1", b"habitant.example", key, include_headers=[b"from", b"to", b"subject"])
    return sig + raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default="", help="PostgreSQL database to empty and use")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "8")))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-inbound-"))
    if args.pg_url:
        engine = create_engine(args.pg_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = args.pg_url
    else:
        url = f"sqlite:///{tmp / 'vigie.db'}"
    upgrade(url)
    port = free_port()
    v = build_vigie(
        Settings(  # type: ignore[call-arg]
            environment="test",
            data_dir=tmp / "data",
            database_url=url,
            background_services=False,
            notify_transport="file",
            mail_from="Dijon Métropole <no-reply@dijon.example>",
            mail_inbound="smtp",
            mail_inbound_address=MAILBOX,
            mail_inbound_smtp_port=port,
        )
    )
    openssl = shutil.which("openssl")
    assert openssl, "openssl makes the resident domain's DKIM key"
    subprocess.run([openssl, "genrsa", "-out", str(tmp / "k.pem"), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        [openssl, "rsa", "-in", str(tmp / "k.pem"), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    key = (tmp / "k.pem").read_bytes()
    v.caches.dns_resolver = Published(
        {
            "s1._domainkey.habitant.example": [f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"],
            "_dmarc.habitant.example": ["v=DMARC1; p=reject"],
            "habitant.example": ["v=spf1 ip4:127.0.0.1 -all"],
        }
    )
    photos = [phone_photo(1, (47.322729, 5.035801)), phone_photo(2, None)]
    sizes = ", ".join(f"{len(p) / 1e6:.2f} MB" for p in photos)
    print(
        f"backend: {'postgresql' if args.pg_url else 'sqlite'}; photos: 4032x3024, {sizes}; load {loadavg()}"
    )

    listener = SmtpListener(v)
    asyncio.run(listener.start())
    mail_s: list[float] = []
    base_s: list[float] = []
    try:
        # One message first: the service suggestion trains and the imports warm up.
        messages = [message(n, photos, key) for n in range(args.rounds + 1)]
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.ehlo("mail.habitant.example")
            for n, raw in enumerate(messages):
                start = time.perf_counter()
                for p in photos:
                    process_photo(p, max_bytes=20_000_000, max_pixels=40_000_000)
                base = time.perf_counter() - start
                smtp.mail("alice@habitant.example")
                smtp.rcpt(MAILBOX)
                start = time.perf_counter()
                code, answer = smtp.data(raw)
                took = time.perf_counter() - start
                assert code == 250 and b"report DIJ-" in answer, answer
                reference = answer.decode().rsplit(" ", 1)[-1]
                with v.db.session() as s:  # in the queue: committed, with its two photos
                    found = s.execute(
                        text(
                            "SELECT r.channel, count(p.id) FROM reports r "
                            "JOIN report_photos p ON p.report_id = r.id "
                            "WHERE r.reference = :ref AND r.status = 'new' GROUP BY r.channel"
                        ),
                        {"ref": reference},
                    ).one()
                assert tuple(found) == ("email", 2), found
                if n:
                    mail_s.append(took)
                    base_s.append(base)
    finally:
        asyncio.run(listener.stop())
        v.db.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    med, p95 = statistics.median(mail_s), percentile(mail_s, 95)
    bmed = statistics.median(base_s)
    print(
        "e-mail with two photos, DATA to 250 (report committed): "
        f"median {med:.3f} s, p95 {p95:.3f} s, max {max(mail_s):.3f} s"
    )
    print(f"baseline, the photo pipeline alone on the same photos:    median {bmed:.3f} s")
    verdict = "PASS" if max(mail_s) <= 2.0 else "MISS"
    print(f"ratio (e-mail / photo pipeline): {med / bmed:.2f}x; target <= 2 s: {verdict}")


if __name__ == "__main__":
    main()
