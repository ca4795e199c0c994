"""The message bus: subscribers wired once, after commit or in the publisher's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.reports.helpers import submit_report
from vigie.accounts.domain import SYSTEM
from vigie.events.changes import ReportChanged, ReportCreated
from vigie.events.messagebus import MessageBus
from vigie.reports.actions import do_change_status, get_report, report_updates


@dataclass(frozen=True)
class Pinged:
    n: int


@dataclass(frozen=True)
class Ponged:
    n: int


def test_messagebus_hands_each_subscriber_its_type_in_order():
    bus = MessageBus()
    pings: list[list[Pinged]] = []
    pongs: list[list[Ponged]] = []
    bus.subscribe(Pinged, pings.append)
    bus.subscribe(Ponged, pongs.append)
    bus.publish([Pinged(1), Ponged(2), Pinged(3)])
    assert pings == [[Pinged(1), Pinged(3)]]  # one batch per type and call, in order
    assert pongs == [[Ponged(2)]]
    bus.publish([])
    assert len(pings) == 1


def test_messagebus_failing_subscriber_is_logged_and_others_still_hear(caplog):
    bus = MessageBus()
    heard: list[Pinged] = []

    def broken(events: list[Pinged]) -> None:
        raise RuntimeError("subscriber down")

    bus.subscribe(Pinged, broken)
    bus.subscribe(Pinged, heard.extend)
    with caplog.at_level(logging.ERROR, logger="vigie.events.messagebus"):
        bus.publish([Pinged(1)])  # never raises: the change is already committed
    assert heard == [Pinged(1)]
    assert "a subscriber of Pinged failed" in caplog.text


def test_messagebus_in_transaction_subscribers_and_what_they_publish_later():
    bus = MessageBus()
    staged: list[Pinged] = []
    heard: list[Ponged] = []

    def write(s: Session, event: Pinged) -> list[object]:
        staged.append(event)
        return [Ponged(event.n)]

    bus.subscribe_in_transaction(Pinged, write, wants=lambda e: e.n > 0)
    bus.subscribe(Ponged, heard.extend)
    assert bus.needs_transaction(Pinged(1))
    assert not bus.needs_transaction(Pinged(0))  # nothing to write for this one
    assert not bus.needs_transaction(Ponged(1))  # nobody listens in the transaction
    engine = create_engine("sqlite://")
    with Session(engine) as s:
        bus.stage(s, Pinged(2))
        bus.stage(s, Pinged(0))
        assert staged == [Pinged(2)]
        assert heard == []  # not before the commit
        s.commit()
    assert heard == [Ponged(2)]  # the publisher had nothing to hand on itself
    with Session(engine) as s:
        bus.stage(s, Pinged(3))
        s.rollback()
    assert staged == [Pinged(2), Pinged(3)]
    assert heard == [Ponged(2)]  # a rolled-back change publishes nothing


def test_messagebus_wiring_names_every_cross_context_subscriber(vigie):
    wired = vigie.messages.subscribers()
    assert wired["DomainEvent"] == [
        "after commit: vigie.bootstrap._to_live_streams",
        # ice-risk alarms propose a winter plan level
        "after commit: vigie.winter.actions.propose_from_alarms",
    ]
    assert "after commit: vigie.alarms.actions.link_new_reports" in wired["ReportCreated"]
    assert "in transaction: vigie.notifications.actions.announce_new_report" in wired["ReportCreated"]
    assert wired["ReportChanged"] == ["in transaction: vigie.notifications.actions.announce_change"]
    assert wired["ReportFollowed"] == ["in transaction: vigie.notifications.actions.ask_follower_to_confirm"]
    assert wired["AlarmLinked"] == ["in transaction: vigie.reports.subscribers.record_alarm_link"]


def test_messagebus_in_transaction_failure_rolls_the_change_back(vigie):
    """What an in-transaction subscriber writes commits with the change, or neither does."""
    rid = submit_report(vigie)
    before = len(report_updates(vigie, rid))

    def refuse(s: object, event: ReportChanged) -> None:
        raise RuntimeError("outbox unavailable")

    vigie.messages.subscribe_in_transaction(ReportChanged, refuse)
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        do_change_status(vigie, rid, SYSTEM, "acknowledged")
    assert get_report(vigie, rid).status == "new"
    assert len(report_updates(vigie, rid)) == before


def test_messagebus_after_commit_failure_never_fails_a_report(vigie, caplog):
    def broken(events: list[ReportCreated]) -> None:
        raise RuntimeError("alarm links down")

    heard: list[int] = []
    vigie.messages.subscribe(ReportCreated, broken)
    vigie.messages.subscribe(ReportCreated, lambda events: heard.extend(e.report.id for e in events))
    with caplog.at_level(logging.ERROR, logger="vigie.events.messagebus"):
        rid = submit_report(vigie)
    assert get_report(vigie, rid).id == rid
    assert heard == [rid]  # the next subscriber still heard of it
    assert "a subscriber of ReportCreated failed" in caplog.text
