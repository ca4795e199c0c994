"""Changes within the digest window of each other are told in one e-mail (issue 14 §5)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update

from vigie.db import utcnow
from vigie.notifications.service import drain_outbox
from vigie.notifications.storage import OutboxRow
from vigie.reports.actions import do_acknowledge, do_assign, do_change_status

from .conftest import follow_confirmed, outbox, with_settings


def _updates(v):
    return [m for m in outbox(v) if m.kind == "update"]


def _age(v, minutes: float) -> None:
    """Move every waiting message ``minutes`` back in time (as if that long had passed)."""
    with v.db.session(write=True) as s:
        for row in s.query(OutboxRow).all():
            row.next_attempt_at -= timedelta(minutes=minutes)
            row.created_at -= timedelta(minutes=minutes)
        s.commit()


def test_changes_close_together_make_one_message_sent_after_the_window(vigie, submit, make_agent):
    with_settings(vigie, mail_digest_minutes=10)
    row = submit(email="alice@example.org")
    follow_confirmed(vigie, row.id, email="dan@example.org", lang="en")
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    do_assign(vigie, row.id, operator, team="voirie-sud", public_note="Équipe prévenue")
    do_change_status(vigie, row.id, operator, "in_progress")

    alice, dan = _updates(vigie)
    assert (alice.recipient, dan.recipient) == ("alice@example.org", "dan@example.org")
    assert alice.subject.endswith(": intervention en cours") and dan.subject.endswith(": work in progress")
    text = alice.body_text
    steps = [text.index(s) for s in ("pris en compte", "confié à une équipe", "intervention en cours")]
    assert steps == sorted(steps)
    assert "Équipe prévenue" in text and "Une équipe voirie intervient sur place" in text
    assert [c["status"] for c in json.loads(alice.changes)] == ["acknowledged", "assigned", "in_progress"]
    assert alice.next_attempt_at > utcnow() + timedelta(minutes=9)

    assert drain_outbox(vigie, 10) == 0  # still within the window
    _age(vigie, 11)
    assert drain_outbox(vigie, 10) == 2
    # A change after the message left is a message of its own.
    do_change_status(vigie, row.id, operator, "resolved")
    assert len(_updates(vigie)) == 4


def test_a_report_that_keeps_moving_is_still_told_within_six_windows(vigie, submit, make_agent):
    with_settings(vigie, mail_digest_minutes=10)
    row = submit(email="alice@example.org")
    operator = make_agent("operator")
    do_acknowledge(vigie, row.id, operator)
    _age(vigie, 55)  # the first change was 55 minutes ago, and it still waits
    with vigie.db.session(write=True) as s:
        s.execute(update(OutboxRow).values(next_attempt_at=utcnow() + timedelta(minutes=5)))
        s.commit()
    do_assign(vigie, row.id, operator, team="voirie-sud")

    [msg] = _updates(vigie)
    assert msg.next_attempt_at <= msg.created_at + timedelta(minutes=60)
    assert msg.next_attempt_at <= utcnow() + timedelta(minutes=5, seconds=1)
