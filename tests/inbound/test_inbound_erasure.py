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


def test_inbound_erasure_reaches_the_senders_replies_on_any_report(vigie, client, dns):
    """A reply by e-mail joins a report's history as an agents' note, and its sender may not be
    the reporter (a neighbour in copy, a follower): nothing tied the entry to its sender, so
    their erasure left their words there. The entry keeps the sender's address hash now; the
    erasure tombstones the text and the hash, and leaves the other senders' entries."""
    from email import message_from_bytes

    from vigie.notifications.consent import address_hash
    from vigie.reports.erasure import MESSAGE_TOMBSTONE
    from vigie.reports.storage import ReportUpdateRow

    raw = make_mail(sender="camille@example.org")
    first = do_receive(vigie, raw)
    thread = {"In-Reply-To": message_from_bytes(raw)["Message-ID"]}
    replies = (("voisin@example.org", "M. Voisin, 06 12 34 56 78"), ("camille@example.org", "Pire"))
    for sender, text in replies:
        reply = make_mail(sender=sender, subject="Re: Nid de poule", text=text, headers=thread)
        done = do_receive(vigie, reply)
        assert done.outcome == "reply" and done.report_id == first.report_id

    def messages() -> list[tuple[str, str | None]]:
        with vigie.db.session() as s:
            rows = s.execute(
                select(ReportUpdateRow.internal_note, ReportUpdateRow.sender_hash)
                .where(ReportUpdateRow.report_id == first.report_id, ReportUpdateRow.kind == "message")
                .order_by(ReportUpdateRow.id)
            )
            return [(note, digest) for note, digest in rows]

    assert messages() == [
        ("M. Voisin, 06 12 34 56 78", address_hash("voisin@example.org")),
        ("Pire", address_hash("camille@example.org")),
    ]
    assert client.post("/effacement", data={"email": "Voisin@example.org"}).status_code == 202
    assert client.post(_link(vigie, client)).status_code == 200
    assert messages() == [(MESSAGE_TOMBSTONE["fr"], None), ("Pire", address_hash("camille@example.org"))]
