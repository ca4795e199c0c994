"""Open311 clients' API keys on the staff's keys page (/donnees/cles/gestion): administrators list
them and revoke one (audited, CSRF-checked), as `vigie apikey list|revoke` does."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from vigie.accounts.actions import check_api_key, do_create_login
from vigie.accounts.storage import AuditRow
from vigie.errors import Forbidden
from vigie.web.deps import CSRF_HEADER, SESSION_COOKIE

API = "/api/v1/api-keys"
PAGE = "/donnees/cles/gestion"


def test_reusers_open311_keys_listed_to_administrators_only(client, auth, api_key):
    assert client.get(API).status_code == 401
    assert client.get(API, headers=auth("supervisor")).status_code == 403
    listed = client.get(API, headers=auth("admin")).json()["keys"]
    assert [(k["name"], k["prefix"], k["revoked_at"]) for k in listed] == [("test client", api_key[:8], None)]
    assert api_key not in str(listed)
    assert client.delete(f"{API}/1", headers=auth("supervisor")).status_code == 403


@pytest.mark.parametrize(
    ("lang", "title"), [("fr", "Clés d'API des clients Open311"), ("en", "Open311 clients' API keys")]
)
def test_reusers_open311_key_revoked_from_the_page_is_refused_and_audited(
    client, vigie, make_agent, api_key, lang, title
):
    supervisor, _ = do_create_login(vigie.db, make_agent("supervisor"), "session", 1)
    client.cookies.set(SESSION_COOKIE, supervisor)
    assert "/api/v1/api-keys/" not in client.get(PAGE, params={"lang": lang}).text  # not theirs to manage
    admin = make_agent("admin")
    session, _ = do_create_login(vigie.db, admin, "session", 1)
    client.cookies.set(SESSION_COOKIE, session)
    page = client.get(PAGE, params={"lang": lang})
    assert page.status_code == 200 and title.replace("'", "&#39;") in page.text and "test client" in page.text
    (key_id,) = re.findall(r'data-url="/api/v1/api-keys/(\d+)"', page.text)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    # The session cookie alone (a forged request from another site) revokes nothing.
    assert client.delete(f"{API}/{key_id}").status_code == 403
    check_api_key(vigie.db, api_key)
    assert client.delete(f"{API}/{key_id}", headers={CSRF_HEADER: csrf}).status_code == 200
    with pytest.raises(Forbidden):
        check_api_key(vigie.db, api_key)
    assert client.delete(f"{API}/{key_id}", headers={CSRF_HEADER: csrf}).status_code == 409
    with vigie.db.session() as s:
        audit = s.scalars(select(AuditRow).where(AuditRow.action == "api_key.revoke")).all()
    assert [(a.user_id, a.target_id, a.detail) for a in audit] == [
        (admin.id, key_id, {"name": "test client"})
    ]
    after = client.get(PAGE, params={"lang": lang}).text
    assert 'data-url="/api/v1/api-keys/' not in after
