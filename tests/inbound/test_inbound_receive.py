"""An e-mail to the city becomes a report in the queue; who gets an answer, and who never does."""

from __future__ import annotations

from sqlalchemy import select

from vigie.inbound.actions import Envelope, do_receive
from vigie.inbound.storage import InboundMessageRow
from vigie.notifications.consent import add_consent
from vigie.reports.actions import get_report, report_updates
from vigie.runtime import Vigie

from .conftest import jpeg, make_mail

LIBERTE = (47.322729, 5.035801)  # rue de la Liberté, Dijon


def _sent_from_resident(**over):
    return Envelope(
        via="smtp", ip="192.0.2.10", helo="mail.habitant.example", mail_from="alice@habitant.example", **over
    )


def test_inbound_message_becomes_a_report_placed_by_its_photo(vigie: Vigie, dns) -> None:
    raw = make_mail(
        subject="Trou dans la chaussée",
        text="Bonjour,\n\nIl y a un nid de poule énorme.\n\n-- \nAlice Martin\n06 12 34 56 78",
        photos=[jpeg(gps=LIBERTE)],
    )
    done = do_receive(vigie, raw)
    assert done.outcome == "report" and done.located == "photo"
    row = get_report(vigie, done.report_id)
    assert row.channel == "email" and row.status == "new"
    assert row.service_code == "nid-de-poule" == done.suggestions[0]
    assert (round(row.lat, 5), round(row.long, 5)) == (round(LIBERTE[0], 5), round(LIBERTE[1], 5))
    assert len(row.photos) == 1
    # Cleaned: the signature and its phone number are gone; the subject leads.
    assert row.description.startswith("Trou dans la chaussée") and "nid de poule" in row.description
    assert "06 12" not in row.description and "Alice Martin" not in row.description
    assert row.reporter_name == "Alice Martin"


def test_inbound_same_message_twice_makes_one_report(vigie: Vigie, dns) -> None:
    raw = make_mail()
    first, second = do_receive(vigie, raw), do_receive(vigie, raw)
    assert second.duplicate and second.report_id == first.report_id
    with vigie.db.session() as s:
        assert len(list(s.scalars(select(InboundMessageRow)))) == 1


def test_inbound_authenticated_sender_gets_the_reference(
    vigie: Vigie, resident_domain, rsa_key, outbox
) -> None:
    raw = make_mail(sign_with=(rsa_key[0], resident_domain))
    done = do_receive(vigie, raw, _sent_from_resident())
    assert done.outcome == "report" and done.answered
    with vigie.db.session() as s:
        assert s.scalar(select(InboundMessageRow.verdict)) == "pass"
    [receipt] = outbox(recipient="alice@habitant.example")
    assert done.reference and done.reference in receipt.subject
    assert get_report(vigie, done.report_id).reporter_email == "alice@habitant.example"


def test_inbound_spf_alone_authenticates_when_aligned(vigie: Vigie, dns, outbox) -> None:
    dns.publish("habitant.example", "v=spf1 ip4:192.0.2.10 -all")
    done = do_receive(vigie, make_mail(), _sent_from_resident())
    assert done.answered and outbox(recipient="alice@habitant.example")


def test_inbound_forged_sender_never_gets_mail(vigie: Vigie, resident_domain, outbox) -> None:
    # Unsigned, from an address the domain's SPF does not allow: DMARC p=reject fails.
    forged = Envelope(via="smtp", ip="203.0.113.66", helo="spam.example", mail_from="alice@habitant.example")
    done = do_receive(vigie, make_mail(), forged)
    assert done.outcome == "report" and not done.answered
    assert get_report(vigie, done.report_id).reporter_email == ""
    # Even a refusal (too many photos) is not answered.
    many = make_mail(photos=[jpeg()] * (vigie.settings.max_photos_per_report + 1))
    refused = do_receive(vigie, many, forged)
    assert refused.outcome == "refused" and not refused.answered
    assert outbox() == []
    with vigie.db.session() as s:
        assert set(s.scalars(select(InboundMessageRow.verdict))) == {"fail"}


def test_inbound_forged_signature_of_a_confirmed_address_gets_nothing(
    vigie: Vigie, resident_domain, rsa_key, outbox
) -> None:
    with vigie.db.session(write=True) as s:
        add_consent(s, "earlier-report-token", "alice@habitant.example", confirmed=True)
        s.commit()
    raw = make_mail(sign_with=(rsa_key[0], resident_domain)).replace(b"gros nid", b"petit nid")
    done = do_receive(vigie, raw)  # the body changed after signing: DKIM fails
    assert not done.answered and outbox() == []


def test_inbound_unauthenticated_sender_answered_only_once_confirmed(vigie: Vigie, dns, outbox) -> None:
    sender = "Bob <bob@nowhere.example>"  # no SPF, DKIM or DMARC published: cannot tell
    done = do_receive(vigie, make_mail(sender=sender))
    assert not done.answered and outbox() == []
    with vigie.db.session(write=True) as s:
        add_consent(s, "bob-earlier", "bob@nowhere.example", confirmed=True)
        s.commit()
    again = do_receive(vigie, make_mail(sender=sender, subject="Lampadaire éteint", text="Lampadaire éteint"))
    assert again.answered and [m.recipient for m in outbox()] == ["bob@nowhere.example"]


def test_inbound_machines_never_make_reports(vigie: Vigie, dns, outbox) -> None:
    cases = {
        "auto-reply": make_mail(headers={"Auto-Submitted": "auto-replied"}, subject="Absence"),
        "x-autoreply": make_mail(headers={"X-Autoreply": "yes"}),
        "bulk": make_mail(headers={"Precedence": "bulk"}),
        "list": make_mail(headers={"List-Id": "<voisins.lists.example>"}),
        "daemon": make_mail(sender="MAILER-DAEMON@mx.example", subject="Undelivered Mail"),
        "loop": make_mail(sender="Dijon <no-reply@dijon.example>"),
        "x-loop": make_mail(headers={"X-Loop": "allo@dijon.example"}),
    }
    for name, raw in cases.items():
        done = do_receive(vigie, raw)
        assert done.outcome == "ignored" and done.report_id is None, name
    bounce = do_receive(vigie, make_mail(subject="Delivery Status"), Envelope(via="smtp", mail_from=""))
    assert bounce.outcome == "ignored" and bounce.reason.startswith("bounce")
    assert outbox() == []


def test_inbound_reply_in_thread_joins_the_report(vigie: Vigie, resident_domain, rsa_key, outbox) -> None:
    first = do_receive(vigie, make_mail(sign_with=(rsa_key[0], resident_domain)), _sent_from_resident())
    [receipt] = outbox()
    reply = make_mail(
        subject=f"Re: {receipt.subject}",
        text="Le trou s'agrandit.\n\nLe lun. 7 déc. 2026 à 10:00, Dijon a écrit :\n> Votre signalement",
        headers={"In-Reply-To": receipt.message_id, "References": receipt.message_id},
    )
    done = do_receive(vigie, reply)
    assert done.outcome == "reply" and done.report_id == first.report_id
    entry = report_updates(vigie, first.report_id)[-1]
    assert entry.kind == "message" and entry.internal_note == "Le trou s'agrandit."
    assert entry.public_note == ""  # a resident's words stay with the agents


def test_inbound_reference_in_subject_joins_only_for_its_reporter(
    vigie: Vigie, resident_domain, rsa_key
) -> None:
    first = do_receive(vigie, make_mail(sign_with=(rsa_key[0], resident_domain)), _sent_from_resident())
    signed = (rsa_key[0], resident_domain)
    own = do_receive(
        vigie,
        make_mail(subject=f"Re: {first.reference}", text="Toujours là", sign_with=signed),
        _sent_from_resident(),
    )
    assert own.outcome == "reply" and own.report_id == first.report_id
    # The same words without the signature could come from anyone: a report of their own.
    unsigned = do_receive(
        vigie, make_mail(subject=f"Re: {first.reference}", text="Toujours là, nid de poule")
    )
    assert unsigned.outcome == "report" and unsigned.report_id != first.report_id
    stranger = do_receive(
        vigie, make_mail(sender="eve@ailleurs.example", subject=f"Re: {first.reference}", text="Nid de poule")
    )
    assert stranger.outcome == "report" and stranger.report_id != first.report_id


def test_inbound_limits_answer_with_the_limit(vigie: Vigie, resident_domain, rsa_key, outbox) -> None:
    many = vigie.settings.max_photos_per_report + 1
    raw = make_mail(photos=[jpeg()] * many, sign_with=(rsa_key[0], resident_domain))
    done = do_receive(vigie, raw, _sent_from_resident())
    assert done.outcome == "refused" and done.answered and done.report_id is None
    [answer] = outbox()
    assert (
        f"{many} photos" in answer.body_text and str(vigie.settings.max_photos_per_report) in answer.body_text
    )
    assert answer.kind == "answer"

    not_photo = make_mail(photos=[b"GIF89a not really"], text="Voir photo")
    refused = do_receive(vigie, not_photo)
    assert refused.outcome == "refused" and "JPEG, PNG or WebP" in refused.reason

    empty = do_receive(vigie, make_mail(subject="", text=""))
    assert empty.outcome == "refused" and "neither text nor photo" in empty.reason


def test_inbound_too_big_is_refused_without_reading_it(vigie: Vigie, dns) -> None:
    from tests.notifications.conftest import with_settings

    with_settings(vigie, mail_inbound_max_bytes=2048)
    raw = make_mail(text="nid de poule " * 400)
    done = do_receive(vigie, raw)
    assert done.outcome == "refused" and "too large" in done.reason and done.report_id is None


def test_inbound_other_attachments_are_not_kept(vigie: Vigie, dns) -> None:
    raw = make_mail(attachments=[("plan.pdf", "application/pdf", b"%PDF-1.4 ...")])
    done = do_receive(vigie, raw)
    assert done.outcome == "report" and "other than photos not kept" in done.reason
    assert get_report(vigie, done.report_id).photos == []


def test_inbound_without_any_place_lands_in_a_zone_to_be_moved(vigie: Vigie, dns) -> None:
    done = do_receive(vigie, make_mail(text="Lampadaire éteint", subject="Éclairage"))
    row = get_report(vigie, done.report_id)
    assert done.located == "none" and row.lat is None and row.zone
    named = do_receive(vigie, make_mail(text="Lampadaire éteint à Chenôve", subject="Éclairage"))
    assert named.located == "zone" and get_report(vigie, named.report_id).zone == "21166"
