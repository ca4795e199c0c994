"""Every e-mail has a stop link and List-Unsubscribe; one-click (RFC 8058) when DKIM-signed.

Signatures are checked with dkimpy itself, against the public key the test
publishes in place of DNS.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import dkim
import pytest

from vigie.errors import ConfigurationError
from vigie.notifications.dkim import make_signer
from vigie.notifications.service import drain_outbox, retry_failed
from vigie.reports.actions import do_acknowledge, do_assign

from .conftest import follow_confirmed, outbox, with_settings

STOP = re.compile(r"http://testserver(/courriel/arreter/[A-Za-z0-9_.-]+/[A-Za-z0-9_-]+)")


def _sent(v) -> list[bytes]:
    return [p.read_bytes() for p in sorted((v.settings.data_dir / "outbox").glob("*.eml"))]


def _headers(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def test_every_message_has_a_stop_link_and_list_unsubscribe(vigie, client, submit, make_agent):
    row = submit(email="alice@example.org", confirmed=False)  # a receipt
    client.post(f"/api/v1/reports/{row.id}/follow", json={"email": "bob@example.org"})  # a request to confirm
    follow_confirmed(vigie, row.id, email="carol@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))  # an update, to carol
    kinds = sorted(m.kind for m in outbox(vigie))
    assert kinds == ["confirm", "receipt", "update"]

    assert drain_outbox(vigie, 10) == 3
    for data in _sent(vigie):
        msg = _headers(data)
        body = msg.get_body(("plain",)).get_content()
        link = STOP.search(body)
        assert link is not None, msg["Subject"]
        header = str(msg["List-Unsubscribe"])
        assert f"<http://testserver{link.group(1)}>" in header
        assert "<mailto:no-reply@vigie.example?subject=" in header
        assert msg["List-Unsubscribe-Post"] is None  # not signed: no one-click
        assert link.group(1) in (msg.get_body(("html",)).get_content())


def test_stop_link_stops_the_messages_of_that_subscription(vigie, client, submit, make_agent):
    row = submit(email="alice@example.org")
    follow_confirmed(vigie, row.id, email="carol@example.org")
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    to_carol = next(m for m in outbox(vigie) if m.recipient == "carol@example.org")
    path = STOP.search(to_carol.body_text).group(1)

    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert client.get(path).status_code == 200  # opening it stops nothing
    assert client.post(path).status_code == 200

    # The message not yet sent is not sent, and the next change is told to alice only.
    assert next(m for m in outbox(vigie) if m.id == to_carol.id).status == "failed"
    assert retry_failed(vigie) == 0  # an operator's retry never undoes a stop
    do_assign(vigie, row.id, operator, team="voirie-sud")
    assert [m.recipient for m in outbox(vigie)][-1:] == ["alice@example.org"]
    assert client.post(path[:-2] + "xx").status_code == 404


def test_one_click_unsubscribe_post_stops_without_a_page(vigie, client, submit, make_agent):
    row = submit(email="alice@example.org")
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    path = STOP.search(outbox(vigie)[-1].body_text).group(1)

    r = client.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    do_assign(vigie, row.id, operator, team="voirie-sud")
    assert len(outbox(vigie)) == 1


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory) -> tuple[str, str]:
    """(private key PEM, public key base64 DER) made by openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test key"
    folder: Path = tmp_path_factory.mktemp("dkim")
    private = folder / "private.pem"
    subprocess.run([openssl, "genrsa", "-out", str(private), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        [openssl, "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return private.read_text(), base64.b64encode(der).decode()


def test_dkim_signed_mail_verifies_and_offers_one_click(vigie, submit, make_agent, rsa_key):
    private, public = rsa_key
    with_settings(vigie, dkim_private_key=private, dkim_selector="vigie2026")
    row = submit(email="alice@example.org", lang="fr")
    do_acknowledge(vigie, row.id, make_agent("operator"), public_note="Équipe prévenue — à bientôt")
    assert drain_outbox(vigie, 10) == 1
    [data] = _sent(vigie)

    asked: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return f"v=DKIM1; k=rsa; p={public}".encode()

    assert dkim.verify(data, dnsfunc=dns)
    assert asked == [b"vigie2026._domainkey.vigie.example."]
    msg = _headers(data)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    signed = str(msg["DKIM-Signature"]).replace(" ", "").replace("\t", "")
    tags = dict(part.split("=", 1) for part in signed.strip(";").split(";"))
    names = tags["h"].lower().split(":")
    assert "list-unsubscribe" in names and "list-unsubscribe-post" in names and "subject" in names
    # A message changed on the way fails.
    tampered = data.replace(b"Subject: ", b"Subject: Re: ", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_dkim_key_that_cannot_be_read_is_a_configuration_error(vigie, tmp_path):
    with_settings(vigie, dkim_private_key="-----BEGIN PRIVATE KEY-----\nnot a key\n", dkim_selector="s")
    with pytest.raises(ConfigurationError, match="VIGIE_DKIM_PRIVATE_KEY"):
        make_signer(vigie.settings)
    with_settings(vigie, dkim_private_key=str(tmp_path / "missing.pem"), dkim_selector="s")
    with pytest.raises(ConfigurationError, match="cannot read"):
        make_signer(vigie.settings)


def _stop_of(v, kind: str) -> str:
    [row] = [m for m in outbox(v) if m.kind == kind]
    found = STOP.search(row.body_text)
    assert found is not None, row.body_text
    assert row.token and found.group(1).split("/")[3] == row.token
    return found.group(1)


def test_answers_to_inbound_mail_have_a_stop_that_lapses_and_resumes(vigie, client):
    from datetime import timedelta

    from sqlalchemy import update

    from vigie.db import utcnow
    from vigie.notifications.actions import queue_answer
    from vigie.notifications.consent import ANSWER_PREFIX
    from vigie.notifications.storage import ConsentRow

    assert queue_answer(vigie, "ecrit@example.org", "fr", "Votre message", "Refusé : trop de photos.", "m1")
    path = _stop_of(vigie, "answer")
    assert path.split("/")[3].startswith(ANSWER_PREFIX)
    assert drain_outbox(vigie, 10) == 1
    msg = _headers(_sent(vigie)[0])
    assert f"<http://testserver{path}>" in str(msg["List-Unsubscribe"])
    page = client.get(path)
    assert "Ne plus recevoir de réponses automatiques" in page.text
    assert client.post(path).status_code == 200
    assert not queue_answer(vigie, "ecrit@example.org", "fr", "Votre message", "Refusé.", "m2")
    resume = path.replace("/courriel/arreter/", "/courriel/reprendre/")
    assert "Réponses automatiques reprises" in client.post(resume).text
    assert queue_answer(vigie, "ecrit@example.org", "fr", "Votre message", "Refusé.", "m3")
    client.post(path)  # stopped again, and 31 days later the stop has lapsed
    with vigie.db.session(write=True) as s:
        s.execute(update(ConsentRow).values(stopped_at=utcnow() - timedelta(days=31)))
        s.commit()
    assert queue_answer(vigie, "ecrit@example.org", "fr", "Votre message", "Refusé.", "m4")


def test_erasure_confirmations_have_a_stop_and_the_form_says_so(vigie, client):
    assert client.post("/effacement", data={"email": "efface@example.org"}).status_code == 202
    path = _stop_of(vigie, "erasure")
    assert "Ne plus recevoir de demandes d" in client.get(path).text
    assert client.post(path).status_code == 200
    # Nothing is sent while stopped, and the answer is any address's (see the test below).
    stopped = client.post("/effacement", data={"email": "Efface@example.org"})
    assert stopped.status_code == 202 and "arrêtés" in stopped.text
    assert len([m for m in outbox(vigie) if m.kind == "erasure"]) == 1
    resume = path.replace("/courriel/arreter/", "/courriel/reprendre/")
    assert client.post(resume).status_code == 200
    assert client.post("/effacement", data={"email": "efface@example.org"}).status_code == 202


def test_erasure_request_does_not_tell_a_stopped_address(vigie, client):
    """A 409 for an address whose owner stopped erasure confirmations told whoever typed it
    that someone had asked an erasure for it before: the same answer as any address now."""
    assert client.post("/effacement", data={"email": "asked@example.org"}).status_code == 202
    client.post(_stop_of(vigie, "erasure"))
    asked = client.post("/effacement", data={"email": "asked@example.org"})
    fresh = client.post("/effacement", data={"email": "fresh@example.org"})
    assert asked.status_code == fresh.status_code == 202
    assert asked.text.replace("asked@example.org", "") == fresh.text.replace("fresh@example.org", "")
    assert [m.recipient for m in outbox(vigie) if m.kind == "erasure"] == [
        "asked@example.org",
        "fresh@example.org",
    ]
