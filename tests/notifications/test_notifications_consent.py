"""Follows by e-mail need a confirmation and are rate-limited (issue 15, defect 4)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from vigie.reports.actions import do_acknowledge, do_assign
from vigie.reports.storage import FollowerRow

from .conftest import outbox, with_settings

CONFIRM = re.compile(r"http://testserver(/courriel/confirmer/[A-Za-z0-9_.-]+/[A-Za-z0-9_-]+)")


def _to(v, address):
    return [m for m in outbox(v) if m.recipient == address]


def _follow(client, report_id, email="victim@example.org", lang="fr"):
    return client.post(f"/api/v1/reports/{report_id}/follow", json={"email": email, "lang": lang})


def _followers(v) -> int:
    with v.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(FollowerRow)) or 0)


def test_follow_by_email_sends_nothing_but_a_confirmation_until_confirmed(vigie, client, submit, make_agent):
    row = submit(email="alice@example.org")
    assert _follow(client, row.id).status_code == 201

    [ask] = _to(vigie, "victim@example.org")
    assert ask.kind == "confirm"
    assert row.reference in ask.subject and "Confirm" in ask.subject
    # Whoever asked chose the address, not what the message says: no report text in it.
    assert row.description not in ask.body_text
    link = CONFIRM.search(ask.body_text)
    assert link is not None

    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    assert len(_to(vigie, "victim@example.org")) == 1  # the change is not told to an unconfirmed follower
    assert len(_to(vigie, "alice@example.org")) >= 1

    path = link.group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert 'method="post"' in page.text  # a mail scanner fetching the link confirms nothing
    assert client.post(path).status_code == 200

    do_assign(vigie, row.id, operator, team=vigie.catalogue.procedure(row.procedure_id).team)
    update = _to(vigie, "victim@example.org")[-1]
    assert update.kind == "update"
    assert "confié à une équipe" in update.subject


def test_follow_confirmation_with_a_wrong_code_confirms_nothing(vigie, client, submit, make_agent):
    row = submit()
    token = _follow(client, row.id).json()["token"]
    assert client.post(f"/courriel/confirmer/{token}/not-the-code").status_code == 404
    assert client.get(f"/courriel/confirmer/{token}/not-the-code").status_code == 404

    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert [m.kind for m in _to(vigie, "victim@example.org")] == ["confirm"]


def test_follow_requests_to_one_address_are_limited_per_day(vigie, client, submit):
    with_settings(vigie, mail_unconfirmed_per_day=2, follow_rate_limit=0)
    reports = [submit() for _ in range(3)]
    assert _follow(client, reports[0].id, email="victim@example.org").status_code == 201
    assert _follow(client, reports[1].id, email="VICTIM@example.org").status_code == 201
    past = _follow(client, reports[2].id, email="victim@example.org")

    assert past.status_code == 201  # the same answer (see the test below), nothing more sent
    assert len(_to(vigie, "victim@example.org")) + len(_to(vigie, "VICTIM@example.org")) == 2
    with vigie.db.session() as s:
        kept = s.scalar(select(FollowerRow).where(FollowerRow.token == past.json()["token"]))
    assert kept is not None and kept.email == ""  # never to be asked to confirm: not kept
    # Another address is not affected.
    assert _follow(client, reports[2].id, email="other@example.org").status_code == 201
    assert len(_to(vigie, "other@example.org")) == 1


def test_follow_does_not_tell_a_busy_address(vigie, client, submit):
    """The daily cap of messages to an address never confirmed is shared with the receipts of
    its reports: a follow with an address that filed three reports today got 429 where any
    other got 201, so typing someone's address told whether they reported today."""
    with_settings(vigie, follow_rate_limit=0)
    for _ in range(3):
        submit(email="busy@example.org", confirmed=False)
    row = submit()
    busy = _follow(client, row.id, email="busy@example.org")
    quiet = _follow(client, row.id, email="quiet@example.org")
    assert busy.status_code == quiet.status_code == 201
    assert busy.json().keys() == quiet.json().keys()
    assert busy.headers.keys() == quiet.headers.keys()
    assert [m.kind for m in _to(vigie, "busy@example.org")] == ["receipt"] * 3
    assert [m.kind for m in _to(vigie, "quiet@example.org")] == ["confirm"]


def test_follows_are_limited_per_client(vigie, client, submit):
    with_settings(vigie, follow_rate_limit=2, mail_unconfirmed_per_day=100)
    row = submit()
    assert _follow(client, row.id, email="a@example.org").status_code == 201
    assert _follow(client, row.id, email="b@example.org").status_code == 201
    refused = _follow(client, row.id, email="c@example.org")

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert _to(vigie, "c@example.org") == []
    assert _followers(vigie) == 2
