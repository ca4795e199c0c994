"""A resident's erasure reaches the e-mails they sent to the city."""

from __future__ import annotations

from sqlalchemy import select

from tests.notifications.test_notifications_erasure import _link
from vigie.inbound.actions import do_receive
from vigie.inbound.storage import InboundMessageRow

from .conftest import make_mail


def test_inbound_erasure_forgets_the_sender(vigie, client, dns):
    do_receive(vigie, make_mail(sender="Camille <Camille.Durand@example.org>"))
    do_receive(vigie, make_mail(sender="voisin@example.org", text="Lampadaire éteint"))
    assert client.post("/effacement", data={"email": "camille.durand@example.org"}).status_code == 202
    assert client.post(_link(vigie, client)).status_code == 200
    with vigie.db.session() as s:
        senders = sorted(s.scalars(select(InboundMessageRow.sender)))
    assert senders == ["", "voisin@example.org"]
