"""A receipt for every report made with an address; it confirms the address (issue 14 §5).

Until the address confirms, its reporter gets nothing but receipts, and at most
``mail_unconfirmed_per_day`` of them a day.
"""

from __future__ import annotations

import re

from vigie.reports.actions import do_acknowledge, do_assign

from .conftest import outbox, with_settings

CONFIRM = re.compile(r"http://testserver(/courriel/confirmer/[A-Za-z0-9_.-]+/[A-Za-z0-9_-]+)")


def _to(v, address):
    return [m for m in outbox(v) if m.recipient == address]


def test_receipt_gives_reference_and_tracking_link_and_asks_to_confirm(vigie, submit):
    row = submit(email="new@example.org", lang="fr", confirmed=False)

    [receipt] = _to(vigie, "new@example.org")
    assert receipt.kind == "receipt"
    assert receipt.subject == f"[Dijon Métropole] Votre signalement {row.reference} : enregistré"
    assert f"http://testserver/suivi/{row.token}" in receipt.body_text
    assert CONFIRM.search(receipt.body_text) is not None
    assert row.description not in receipt.body_text  # whoever typed the address chose it


def test_unconfirmed_reporter_gets_only_the_receipt_until_confirming(vigie, client, submit, make_agent):
    row = submit(email="new@example.org", confirmed=False)
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    assert [m.kind for m in _to(vigie, "new@example.org")] == ["receipt"]

    path = CONFIRM.search(_to(vigie, "new@example.org")[0].body_text).group(1)
    assert client.post(path).status_code == 200
    do_assign(vigie, row.id, operator, team="voirie-sud")
    assert [m.kind for m in _to(vigie, "new@example.org")] == ["receipt", "update"]

    # The address is known now: its next report's receipt has no link to confirm, and
    # its changes are told at once.
    second = submit(email="NEW@example.org", confirmed=False)
    receipt = _to(vigie, "new@example.org")[-1]
    assert receipt.kind == "receipt" and CONFIRM.search(receipt.body_text) is None
    do_acknowledge(vigie, second.id, operator)
    assert _to(vigie, "new@example.org")[-1].kind == "update"


def test_an_address_that_never_confirmed_gets_a_few_receipts_a_day(vigie, submit):
    with_settings(vigie, mail_unconfirmed_per_day=2)
    rows = [submit(email="victim@example.org", confirmed=False) for _ in range(4)]

    assert len({r.id for r in rows}) == 4  # the reports themselves are all taken
    assert [m.kind for m in _to(vigie, "victim@example.org")] == ["receipt", "receipt"]
