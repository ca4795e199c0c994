"""Reusers' keys: self-service by e-mail confirmation, shown once, stored hashed; staff list and revoke."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from vigie.accounts.actions import do_create_login
from vigie.events.changes import AddressErased
from vigie.notifications.storage import OutboxRow
from vigie.reusers.actions import do_issue_key, forget_address
from vigie.reusers.storage import ReuserKeyRow
from vigie.web.deps import SESSION_COOKIE

BASE = "/api/v1/reuser-keys"
CATALOG = "/api/explore/v2.1/catalog/datasets"


def _link(vigie) -> str:
    with vigie.db.session() as s:
        body = s.scalars(select(OutboxRow.body_text).where(OutboxRow.kind == "key")).one()
    return re.search(r"http://testserver(/donnees/cles/confirmer/\S+)", body).group(1)


def test_reusers_keys_self_service_by_e_mail_confirmation(client, vigie):
    r = client.post(f"{BASE}/requests", json={"email": "dev@startup.example", "project": "Appli mobilité"})
    assert r.status_code == 202
    with vigie.db.session() as s:
        pending = s.scalars(select(ReuserKeyRow)).one()
        assert pending.status == "pending" and pending.key_hash is None
    link = _link(vigie)
    page = client.get(link)  # a mail scanner's GET makes no key
    assert page.status_code == 200 and 'method="post"' in page.text and "vk_" not in page.text
    shown = client.post(link)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    key = re.search(r'value="(vk_[\w-]+)"', shown.text).group(1)
    with vigie.db.session() as s:
        row = s.scalars(select(ReuserKeyRow)).one()
        assert row.status == "active" and row.key_hash and key not in (row.key_hash, row.prefix)
        assert key.startswith(row.prefix)
    assert client.get(CATALOG, headers={"Authorization": f"Apikey {key}"}).status_code == 200
    assert client.post(link).status_code == 404  # shown once
    assert client.get(link).status_code == 404  # used
    assert client.get(link[:-3] + "xyz").status_code == 404
    assert client.post(link[:-3] + "xyz").status_code == 404


def test_reusers_keys_e_mail_carries_no_text_of_the_asker(client, vigie):
    """Anyone may ask a key for any address: the project's text, e-mailed in the city's name,
    made Vigie relay a stranger's words (a link, an offer) to anyone."""
    project = "Gagnez un smartphone sur http://arnaque.example/gain"
    r = client.post(f"{BASE}/requests", json={"email": "victime@example.org", "project": project})
    assert r.status_code == 202
    with vigie.db.session() as s:
        row = s.scalars(select(OutboxRow).where(OutboxRow.kind == "key")).one()
        assert s.scalars(select(ReuserKeyRow.project)).one() == project  # kept for the staff
    assert "arnaque" not in row.body_text and "arnaque" not in (row.body_html or "")
    assert "smartphone" not in row.subject + row.body_text


def test_reusers_keys_request_refuses_bad_input(client):
    r = client.post(f"{BASE}/requests", json={"email": "not-an-address", "project": "x"})
    assert r.status_code == 422 and "email" in r.json()["detail"]
    r = client.post(f"{BASE}/requests", json={"email": "a@b.example", "project": ""})
    assert r.status_code == 422 and "project" in r.json()["detail"]
    assert client.post(f"{BASE}/requests", content=b"[1]").status_code == 422


def test_reusers_keys_form_pages(client, vigie):
    page = client.get("/donnees/cles")
    assert page.status_code == 200 and 'action="/donnees/cles"' in page.text
    r = client.post("/donnees/cles", data={"email": "dev@startup.example", "project": "Appli"})
    assert r.status_code == 202
    bad = client.post("/donnees/cles", data={"email": "nope", "project": "Appli"})
    assert bad.status_code == 422
    staff_key = do_issue_key(vigie, vigie_system(vigie), "x@y.example", "P", 7, 70)[1]
    usage = client.post("/donnees/cles/usage", data={"key": staff_key})
    assert usage.status_code == 200 and "7" in usage.text
    assert client.post("/donnees/cles/usage", data={"key": "vk_nothing-here-at-all-123"}).status_code == 404


def vigie_system(vigie):  # type: ignore[no-untyped-def]
    from vigie.accounts.domain import SYSTEM

    return SYSTEM


def test_reusers_keys_staff_list_issue_quota_revoke(client, vigie, auth, make_agent):
    staff, operator = auth("supervisor"), auth("operator")
    assert client.get(BASE, headers=operator).status_code == 403
    assert client.get(BASE).status_code == 401
    made = client.post(
        BASE, json={"email": "partner@bureau.example", "project": "Étude", "per_minute": 20}, headers=staff
    )
    assert made.status_code == 201
    key, key_id = made.json()["key"], made.json()["id"]
    client.get(CATALOG, headers={"Authorization": f"Apikey {key}"})
    listed = client.get(BASE, headers=staff).json()["keys"]
    assert [(k["id"], k["email"], k["per_minute"], k["requests_today"]) for k in listed] == [
        (key_id, "partner@bureau.example", 20, 1)
    ]
    assert "key" not in listed[0] and key not in str(listed)
    r = client.put(f"{BASE}/{key_id}/quota", json={"per_minute": -1, "per_day": 5}, headers=staff)
    assert r.status_code == 422 and "per_minute" in r.json()["detail"]
    assert (
        client.put(f"{BASE}/{key_id}/quota", json={"per_minute": 1, "per_day": 5}, headers=staff).status_code
        == 200
    )
    assert client.delete(f"{BASE}/{key_id}", headers=operator).status_code == 403
    assert client.delete(f"{BASE}/{key_id}", params={"reason": "abus"}, headers=staff).status_code == 200
    assert client.delete(f"{BASE}/{key_id}", headers=staff).status_code == 409
    assert client.delete(f"{BASE}/999999", headers=staff).status_code == 404
    assert client.get(CATALOG, headers={"Authorization": f"Apikey {key}"}).status_code == 401
    session, _ = do_create_login(vigie.db, make_agent("supervisor"), "session", 1)
    assert client.get("/donnees/cles/gestion", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, session)
    page = client.get("/donnees/cles/gestion")
    assert page.status_code == 200 and "partner@bureau.example" in page.text


def test_reusers_keys_erasure_revokes_and_forgets_the_address(client, vigie):
    _, key = do_issue_key(vigie, vigie_system(vigie), "Dev@Startup.example", "P")
    with vigie.db.session(write=True) as s:
        forget_address(s, AddressErased("dev@startup.example"))
        s.commit()
    with vigie.db.session() as s:
        row = s.scalars(select(ReuserKeyRow)).one()
    assert row.email == "" and row.status == "revoked"
    assert client.get(CATALOG, headers={"Authorization": f"Apikey {key}"}).status_code == 401


def test_reusers_keys_never_in_open_data(client, vigie):
    do_issue_key(vigie, vigie_system(vigie), "dev@startup.example", "P")
    assert "startup.example" not in client.get(CATALOG).text
    assert "startup.example" not in client.get("/donnees/catalogue.ttl").text


def test_reusers_keys_e_mail_has_a_stop_that_lapses_and_resumes(client, vigie):
    from datetime import timedelta
    from email import message_from_bytes, policy

    from sqlalchemy import update

    from vigie.db import utcnow
    from vigie.notifications.consent import KEY_PREFIX
    from vigie.notifications.service import drain_outbox
    from vigie.notifications.storage import ConsentRow

    ask = {"email": "dev@startup.example", "project": "Appli mobilité"}
    assert client.post(f"{BASE}/requests", json=ask).status_code == 202
    with vigie.db.session() as s:
        row = s.scalars(select(OutboxRow).where(OutboxRow.kind == "key")).one()
    stop = re.search(r"http://testserver(/courriel/arreter/(\S+)/\S+)", row.body_text)
    assert stop is not None and stop.group(2) == row.token and row.token.startswith(KEY_PREFIX)
    assert drain_outbox(vigie, 10) == 1
    [sent] = (vigie.settings.data_dir / "outbox").glob("*.eml")
    msg = message_from_bytes(sent.read_bytes(), policy=policy.default)
    assert f"<http://testserver{stop.group(1)}>" in str(msg["List-Unsubscribe"])
    assert stop.group(1) in msg.get_body(("html",)).get_content()
    assert "demandes de clé d&#39;API" in client.get(stop.group(1)).text
    assert client.post(stop.group(1)).status_code == 200

    # Refused while stopped, the same answer whether a key exists for the address or not.
    refused = client.post(f"{BASE}/requests", json={**ask, "email": "Dev@Startup.example"})
    assert refused.status_code == 409 and "30 days" in refused.json()["detail"]
    client.post(client.get(_link(vigie)).url.path)  # the pending key confirmed: it exists now
    again = client.post(f"{BASE}/requests", json=ask)
    assert again.status_code == 409 and again.json() == refused.json()
    form = client.post("/donnees/cles", data=ask)
    assert form.status_code == 409 and "30 jours" in form.text
    with vigie.db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "key")) == 1

    resume = stop.group(1).replace("/courriel/arreter/", "/courriel/reprendre/")
    assert "Messages de clé d&#39;API repris" in client.post(resume).text
    assert client.post(f"{BASE}/requests", json=ask).status_code == 202
    client.post(stop.group(1))  # stopped again, and 31 days later the stop has lapsed
    assert client.post(f"{BASE}/requests", json=ask).status_code == 409
    with vigie.db.session(write=True) as s:
        s.execute(update(ConsentRow).values(stopped_at=utcnow() - timedelta(days=31)))
        s.commit()
    assert client.post(f"{BASE}/requests", json=ask).status_code == 202


def test_reusers_keys_request_does_not_tell_a_busy_address(client, vigie):
    """The daily cap of messages to an address never confirmed is shared with the receipts of
    its reports: a key asked for an address at its cap got 429 where any other got 202, so
    typing someone's address told whether they reported today. Past the cap nothing is
    written nor sent; the per-client limit stays."""
    from vigie.notifications.consent import take_unconfirmed

    for _ in range(3):
        take_unconfirmed(vigie, "busy@example.org")  # three receipts today
    ask = {"project": "Appli"}
    busy = client.post(f"{BASE}/requests", json={**ask, "email": "busy@example.org"})
    quiet = client.post(f"{BASE}/requests", json={**ask, "email": "quiet@example.org"})
    assert busy.status_code == quiet.status_code == 202 and busy.json() == quiet.json()
    form_busy = client.post("/donnees/cles", data={**ask, "email": "busy@example.org"})
    form_quiet = client.post("/donnees/cles", data={**ask, "email": "quiet@example.org"})
    assert form_busy.status_code == form_quiet.status_code == 202
    with vigie.db.session() as s:
        assert set(s.scalars(select(OutboxRow.recipient).where(OutboxRow.kind == "key"))) == {
            "quiet@example.org"
        }
        assert set(s.scalars(select(ReuserKeyRow.email))) == {"quiet@example.org"}
    for _ in range(6):  # ten requests an hour from one client
        client.post(f"{BASE}/requests", json={**ask, "email": "quiet@example.org"})
    assert client.post(f"{BASE}/requests", json={**ask, "email": "x@example.org"}).status_code == 429
