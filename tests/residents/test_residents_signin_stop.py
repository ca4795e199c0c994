"""Sign-in e-mails carry a stop link and List-Unsubscribe like every Vigie e-mail; their stop
holds for ``resident_link_stop_days`` (the real owner is never locked out for good), and the
sign-in page says so without telling whether an account exists."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import dkim
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.residents.conftest import outbox, sign_in
from vigie.db import utcnow
from vigie.notifications.consent import SIGN_IN_PREFIX
from vigie.notifications.sender import FileSender, make_sender
from vigie.notifications.service import drain_outbox
from vigie.notifications.storage import ConsentRow
from vigie.residents import signin
from vigie.runtime import Vigie

STOP = re.compile(r"http://testserver(/courriel/arreter/([A-Za-z0-9_.-]+)/[A-Za-z0-9_-]+)")
ONE_CLICK = {
    "content": "List-Unsubscribe=One-Click",
    "headers": {"content-type": "application/x-www-form-urlencoded"},
}


def _eml(v: Vigie, outbox_id: int) -> bytes:
    (row,) = [r for r in outbox(v, "signin") if r.id == outbox_id]
    sender = make_sender(v.settings)
    assert isinstance(sender, FileSender) and row.status == "sent" and row.message_id
    return sender.path_for(row.id, row.message_id).read_bytes()


def _stop_path(v: Vigie, email: str) -> str:
    rows = [r for r in outbox(v, "signin") if r.recipient == email]
    found = STOP.search(rows[-1].body_text)
    assert found, rows[-1].body_text
    return found.group(1)


def test_residents_signin_email_has_a_stop_link_and_list_unsubscribe(vigie: Vigie):
    signin.do_request_link(vigie, "entete@example.org", "fr", "198.51.100.1")
    signin.do_request_link(vigie, "entete@example.org", "fr", "198.51.100.1")
    first, second = outbox(vigie, "signin")
    assert first.token and first.token.startswith(SIGN_IN_PREFIX)
    assert second.token == first.token  # one subscription per address, so one stop for all its links
    assert drain_outbox(vigie, 10) == 2
    message = message_from_bytes(_eml(vigie, first.id), policy=policy.default)
    path = STOP.search(message.get_body(("plain",)).get_content())
    assert path is not None and path.group(2) == first.token
    assert path.group(1) in message.get_body(("html",)).get_content()
    header = str(message["List-Unsubscribe"])
    assert (
        f"<http://testserver{path.group(1)}>" in header
        and "<mailto:no-reply@vigie.example?subject=" in header
    )
    assert message["List-Unsubscribe-Post"] is None  # not DKIM-signed: no one-click


def test_residents_signin_email_signed_offers_one_click(vigie: Vigie, tmp_path: Path):
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test key"
    key = tmp_path / "dkim.pem"
    subprocess.run([openssl, "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        [openssl, "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    vigie.settings.dkim_private_key, vigie.settings.dkim_selector = str(key), "vigie"
    signin.do_request_link(vigie, "signe@example.org", "en", "198.51.100.1")
    assert drain_outbox(vigie, 10) == 1
    data = _eml(vigie, outbox(vigie, "signin")[0].id)
    public = base64.b64encode(der).decode()
    assert dkim.verify(data, dnsfunc=lambda name, timeout=5: f"v=DKIM1; k=rsa; p={public}".encode())
    message = message_from_bytes(data, policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop these e-mails:" in message.get_body(("plain",)).get_content()


def test_residents_signin_one_click_stop_holds_for_its_period_then_lapses(client: TestClient, vigie: Vigie):
    assert client.post("/compte/connexion", data={"email": "arret@example.org"}).status_code == 202
    path = _stop_path(vigie, "arret@example.org")
    page = client.get(path)
    assert page.status_code == 200 and "Ne plus recevoir de liens de connexion" in page.text
    assert (
        "30 jours" in page.text and "signalement" not in page.text.split("<h1>", 1)[1].split("</section>")[0]
    )
    assert client.post(path, **ONE_CLICK).status_code == 200  # RFC 8058: no page, no cookie
    (pending,) = outbox(vigie, "signin")
    assert pending.status == "failed"  # the link not sent yet is dropped with the stop

    refused = client.post("/compte/connexion", data={"email": "Arret@Example.org"})
    assert refused.status_code == 409
    assert "Aucun lien ne peut être envoyé pour l&#39;instant" in refused.text and "30 jours" in refused.text
    assert len(outbox(vigie, "signin")) == 1  # nothing queued
    assert "Liens de connexion arrêtés" in client.get(path).text

    # 31 days later the stop has lapsed: links are sent again, with the same stop link,
    # which stops them again.
    with vigie.db.session(write=True) as s:
        s.execute(update(ConsentRow).values(stopped_at=utcnow() - timedelta(days=31)))
        s.commit()
    assert "Ne plus recevoir de liens de connexion" in client.get(path).text
    assert client.post("/compte/connexion", data={"email": "arret@example.org"}).status_code == 202
    assert _stop_path(vigie, "arret@example.org") == path
    assert client.post(path).status_code == 200
    assert client.post("/compte/connexion", data={"email": "arret@example.org"}).status_code == 409
    vigie.settings.resident_link_stop_days = 1  # a shorter period is a setting
    with vigie.db.session(write=True) as s:
        s.execute(update(ConsentRow).values(stopped_at=utcnow() - timedelta(days=2)))
        s.commit()
    assert client.post("/compte/connexion", data={"email": "arret@example.org"}).status_code == 202
    assert client.post(path[:-2] + "xx").status_code == 404  # a wrong code stops nothing


def test_residents_signin_stopped_by_mistake_resumes_from_the_same_link(client: TestClient, vigie: Vigie):
    client.post("/compte/connexion", data={"email": "erreur@example.org"})
    path = _stop_path(vigie, "erreur@example.org")
    stopped = client.post(path)
    resume = path.replace("/courriel/arreter/", "/courriel/reprendre/")
    assert f'action="{resume}"' in stopped.text and "Reprendre l&#39;envoi des liens" in stopped.text
    assert client.post("/compte/connexion", data={"email": "erreur@example.org"}).status_code == 409
    assert client.post(resume[:-2] + "xx").status_code == 404  # the stop link's own code only
    page = client.post(resume)
    assert page.status_code == 200 and "Liens de connexion repris" in page.text
    assert client.post("/compte/connexion", data={"email": "erreur@example.org"}).status_code == 202
    assert "Ne plus recevoir de liens de connexion" in client.get(path).text  # it can stop them again
    # Only sign-in links resume: a report's stop is final.
    from vigie.notifications.consent import stop_path

    report_stop = stop_path(vigie.settings.secret_key, "a-report-token")
    assert client.post(report_stop.replace("/courriel/arreter/", "/courriel/reprendre/")).status_code == 404


def test_residents_signin_stopped_answer_tells_nothing_about_accounts(client: TestClient, vigie: Vigie):
    sign_in(client, vigie, "titulaire@example.org")  # has an account
    client.cookies.clear()
    client.post("/compte/connexion", data={"email": "inconnu@example.org"})  # has none
    for email in ("titulaire@example.org", "inconnu@example.org"):
        assert client.post(_stop_path(vigie, email)).status_code == 200
    known = client.post("/compte/connexion", data={"email": "titulaire@example.org"})
    unknown = client.post("/compte/connexion", data={"email": "inconnu@example.org"})
    assert known.status_code == unknown.status_code == 409 and known.text == unknown.text
    # Stopping sign-in links touches nothing else: the account and its address stay, and
    # the stop page of one address does not stop another's.
    assert client.post("/compte/connexion", data={"email": "autre@example.org"}).status_code == 202
    with vigie.db.session() as s:
        tokens = list(s.scalars(select(ConsentRow.token).where(ConsentRow.stopped_at.is_not(None))))
    assert len(tokens) == 2 and all(t.startswith(SIGN_IN_PREFIX) for t in tokens)
