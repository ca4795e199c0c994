"""Queuing: which status changes announce what, to whom, in which language."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vigie.catalogue.domain import Text
from vigie.db import utcnow
from vigie.notifications.actions import on_report_update
from vigie.notifications.storage import OutboxRow
from vigie.reports import actions as report_actions
from vigie.reports.actions import (
    do_acknowledge,
    do_assign,
    do_change_status,
    do_follow,
    do_merge,
    do_move,
    do_requalify,
)
from vigie.reports.storage import ReportRow, ReportUpdateRow

from .conftest import follow_confirmed, outbox, with_settings

BASE = "http://testserver"
VOIRIE_ACK_FR = "Merci pour votre signalement. Il a bien été enregistré"
VOIRIE_ACK_EN = "Thank you for your report. It has been recorded"


def test_acknowledge_queues_french_message_for_reporter(vigie, submit, make_agent):
    row = submit(email="alice@example.org", lang="fr")
    do_acknowledge(vigie, row.id, make_agent("operator"))

    [msg] = outbox(vigie)
    assert msg.recipient == "alice@example.org"
    assert msg.lang == "fr"
    assert msg.report_id == row.id
    assert msg.status == "pending"
    assert msg.attempts == 0
    assert msg.subject == f"[Dijon Métropole] Votre signalement {row.reference} : pris en compte"
    assert VOIRIE_ACK_FR in msg.body_text
    assert f"{BASE}/suivi/{row.token}" in msg.body_text
    assert f'href="{BASE}/suivi/{row.token}"' in (msg.body_html or "")
    assert msg.message_id and msg.message_id.endswith("@vigie.example>")
    assert msg.next_attempt_at <= utcnow()


def test_acknowledge_queues_english_message_for_english_reporter(vigie, submit, make_agent):
    row = submit(email="bob@example.org", lang="en")
    do_acknowledge(vigie, row.id, make_agent("operator"))

    [msg] = outbox(vigie)
    assert msg.lang == "en"
    assert msg.subject == f"[Dijon Métropole] Your report {row.reference}: acknowledged"
    assert VOIRIE_ACK_EN in msg.body_text
    assert "Merci" not in msg.body_text
    assert f"{BASE}/suivi/{row.token}" in msg.body_text


def test_unknown_language_falls_back_to_city_language(vigie, submit, make_agent):
    row = submit(email="carla@example.org", lang="de")  # stored as the city's default
    do_acknowledge(vigie, row.id, make_agent("operator"))
    [msg] = outbox(vigie)
    assert msg.lang == "fr"
    assert VOIRIE_ACK_FR in msg.body_text


def test_status_change_queues_one_message_per_distinct_recipient(vigie, submit, make_agent):
    row = submit(email="alice@example.org", lang="fr")
    _, follower_token = follow_confirmed(vigie, row.id, email="dan@example.org", lang="en")
    follow_confirmed(vigie, row.id, email="ALICE@example.org", lang="en")  # the reporter again
    do_follow(vigie, row.id)  # anonymous follower: no e-mail, nothing to send
    follow_confirmed(vigie, row.id, email="dan@example.org", lang="fr")  # same follower twice

    do_acknowledge(vigie, row.id, make_agent("operator"))

    rows = outbox(vigie)
    assert [(m.recipient, m.lang) for m in rows] == [
        ("alice@example.org", "fr"),
        ("dan@example.org", "en"),
    ]
    follower = rows[1]
    assert follower.subject == f"[Dijon Métropole] Report you follow {row.reference}: acknowledged"
    assert f"{BASE}/suivi/{follower_token}" in follower.body_text
    assert row.token not in follower.body_text  # each recipient gets their own link
    assert "you follow this report" in follower.body_text
    assert len({m.dedupe_key for m in rows}) == 2


def test_lifecycle_queues_each_announced_status(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    do_assign(vigie, row.id, operator, team="voirie-sud", public_note="Équipe prévenue")
    do_change_status(vigie, row.id, operator, "in_progress")
    do_change_status(vigie, row.id, operator, "resolved", public_note="Trou rebouché ce matin")
    do_change_status(vigie, row.id, operator, "reopened")  # no template: not announced

    rows = outbox(vigie)
    subjects = [m.subject.rsplit(" : ", 1)[1] for m in rows]
    assert subjects == ["pris en compte", "confié à une équipe", "intervention en cours", "résolu"]
    assert "Équipe prévenue" in rows[1].body_text
    assert "La réparation a été effectuée" in rows[3].body_text
    assert "Trou rebouché ce matin" in rows[3].body_text
    assert rows[3].subject == f"[Dijon Métropole] Votre signalement {row.reference} : résolu"


def test_rejection_includes_the_reason(vigie, submit, make_agent):
    row = submit(email="alice@example.org", lang="en")
    do_change_status(vigie, row.id, make_agent("operator"), "rejected", reason="Voie privée (copropriété)")
    [msg] = outbox(vigie)
    assert msg.subject.endswith(": closed without action")
    assert "Voie privée (copropriété)" in msg.body_text
    assert "not part of the metropolitan road network" in msg.body_text


def test_changes_without_new_status_queue_nothing(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    operator = make_agent("operator")
    do_assign(vigie, row.id, operator, team="voirie-sud")
    do_assign(vigie, row.id, operator, team="voirie-nord")  # still assigned
    do_move(vigie, row.id, operator, 47.3225, 5.0420)
    do_requalify(vigie, row.id, operator, "chaussee-deformee")
    assert len(outbox(vigie)) == 1


def test_report_without_email_queues_nothing(vigie, submit, make_agent):
    row = submit()
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert outbox(vigie) == []


def test_merge_notifies_duplicate_reporter_with_kept_reference(vigie, submit, make_agent):
    keep = submit(email="first@example.org")
    dup = submit(email="second@example.org", lang="en")
    do_merge(vigie, dup.id, make_agent("operator"), keep.id)

    [msg] = outbox(vigie)
    assert msg.recipient == "second@example.org"
    assert msg.report_id == dup.id
    assert msg.subject == (f"[Dijon Métropole] Your report {dup.reference}: linked to an existing report")
    assert f"linked to report {keep.reference}" in msg.body_text
    assert "This defect had already been reported nearby" in msg.body_text
    assert "Fusionné" not in msg.body_text  # the default French note is not repeated
    assert f"{BASE}/suivi/{dup.token}" in msg.body_text

    # The duplicate's reporter now follows the kept report and hears about it.
    do_acknowledge(vigie, keep.id, make_agent("operator"))
    recipients = sorted(m.recipient for m in outbox(vigie)[1:])
    assert recipients == ["first@example.org", "second@example.org"]


def test_submission_receipt_holds_the_procedures_new_message_when_there_is_one(vigie, client, make_agent):
    # Dijon's procedures have no "new" template: the receipt alone says the report was received.
    body = {
        "service_code": "nid-de-poule",
        "description": "Trou",
        "lat": 47.3220,
        "long": 5.0415,
        "attributes": {"danger_immediat": "non"},
        "reporter_email": "alice@example.org",
        "lang": "en",
    }
    first = client.post("/api/v1/reports", json=body)
    assert first.status_code == 201, first.text
    [receipt] = outbox(vigie)
    assert receipt.kind == "receipt" and "Received." not in receipt.body_text

    procs = tuple(
        dataclasses.replace(p, messages={**p.messages, "new": Text({"fr": "Bien reçu.", "en": "Received."})})
        for p in vigie.catalogue.procedures
    )
    vigie.catalogue = dataclasses.replace(vigie.catalogue, procedures=procs)
    second = client.post("/api/v1/reports", json=body)
    assert second.status_code == 201, second.text
    msg = outbox(vigie)[1]
    created = second.json()
    assert msg.report_id == int(created["id"])
    assert msg.subject == f"[Dijon Métropole] Your report {created['reference']}: received"
    assert "Received." in msg.body_text
    assert created["tracking_url"] in msg.body_text


def test_rolled_back_change_queues_nothing(vigie, submit, make_agent, monkeypatch):
    row = submit(email="alice@example.org")

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    # The audit row is written after the hook, in the same transaction.
    monkeypatch.setattr(report_actions, "do_audit", broken_audit)
    with pytest.raises(RuntimeError):
        do_acknowledge(vigie, row.id, make_agent("operator"))

    assert outbox(vigie) == []
    with vigie.db.session() as s:
        assert s.get(ReportRow, row.id).status == "new"


def test_same_update_never_queues_twice(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    _, token = follow_confirmed(vigie, row.id, email="dan@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert len(outbox(vigie)) == 2

    with vigie.db.session(write=True) as s:
        report = s.get(ReportRow, row.id)
        update = s.scalars(
            select(ReportUpdateRow)
            .where(ReportUpdateRow.report_id == row.id, ReportUpdateRow.kind == "status")
            .order_by(ReportUpdateRow.id.desc())
        ).first()
        on_report_update(vigie, s, report, update)  # the hook runs again for the same change
        on_report_update(vigie, s, report, update)
        s.commit()
    assert len(outbox(vigie)) == 2


def test_dedupe_key_is_unique_in_the_database(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    [msg] = outbox(vigie)
    with vigie.db.session(write=True) as s:
        s.add(
            OutboxRow(
                report_id=row.id,
                recipient="alice@example.org",
                lang="fr",
                subject="x",
                body_text="x",
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
                dedupe_key=msg.dedupe_key,
                created_at=utcnow(),
            )
        )
        with pytest.raises(IntegrityError):
            s.commit()


def test_dedupe_key_holds_no_address(vigie, submit, make_agent):
    row = submit(email="alice@example.org")
    do_acknowledge(vigie, row.id, make_agent("operator"))
    [msg] = outbox(vigie)
    assert "alice" not in msg.dedupe_key
    assert "example.org" not in msg.dedupe_key


def test_transport_none_queues_nothing(vigie, submit, make_agent):
    with_settings(vigie, notify_transport="none")
    row = submit(email="alice@example.org", confirmed=False)
    do_acknowledge(vigie, row.id, make_agent("operator"))
    assert outbox(vigie) == []
