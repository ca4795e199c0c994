"""The waste collection reminder e-mail: the evening before, holidays and exceptions applied,
once per day, through the outbox with its stop link, from a form on the account's pages."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.residents.conftest import outbox, sign_in
from vigie.notifications.consent import STOP, link_code
from vigie.notifications.sender import FileSender, make_sender
from vigie.notifications.service import EXPIRED, drain_outbox
from vigie.residents.service import make_background, send_due_reminders
from vigie.residents.storage import ReminderRow
from vigie.runtime import Vigie

STOP_LINK = re.compile(r"http://testserver(/courriel/arreter/[A-Za-z0-9_.-]+/[A-Za-z0-9_-]+)")
HOME = {"label": "1 Rue de la Liberté 21000 Dijon", "commune": "21231", "rue": "Rue de la Liberté"}


def _at(v: Vigie, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=v.city.timezone)


def _remind(client: TestClient, csrf: str, **over: object):  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf, **HOME, "streams": ["household", "recycling"], "at": "19:00", **over}
    return client.post("/compte/rappels", data=form, follow_redirects=False)


def test_residents_reminder_goes_the_evening_before_with_holidays_applied(client: TestClient, vigie: Vigie):
    csrf = sign_in(client, vigie, "bacs@example.org")
    assert _remind(client, csrf).status_code == 303
    assert send_due_reminders(vigie, _at(vigie, "2026-11-09T18:30")) == 0  # before its time
    assert send_due_reminders(vigie, _at(vigie, "2026-11-09T19:05")) == 0  # Tuesday: no collection
    # Wednesday 11 November is a public holiday: its recycling round moves to Thursday.
    assert send_due_reminders(vigie, _at(vigie, "2026-11-10T19:05")) == 0
    assert send_due_reminders(vigie, _at(vigie, "2026-11-11T19:05")) == 1
    assert send_due_reminders(vigie, _at(vigie, "2026-11-11T22:00")) == 0  # once per day
    (mail,) = outbox(vigie, "reminder")
    assert mail.recipient == "bacs@example.org"
    assert "Ordures ménagères, Recyclables" in mail.subject and "jeudi 12 novembre" in mail.body_text
    assert "mercredi 11 novembre" in mail.body_text  # the usual day of the moved round
    # An exception moves Wednesday 6 January 2027 to Thursday 7.
    assert send_due_reminders(vigie, _at(vigie, "2027-01-05T20:00")) == 0
    assert send_due_reminders(vigie, _at(vigie, "2027-01-06T20:00")) == 1


def _coming_sunday(v: Vigie) -> date:
    """A Sunday to come whose next Monday, Thursday and Monday have no holiday: reminders
    queued for it are sent now (a reminder expires when its collection day starts)."""
    day = datetime.now(v.city.timezone).date() + timedelta(days=1)
    while day.weekday() != 6 or any(v.city.business_hours.is_holiday(day + timedelta(n)) for n in (1, 4, 8)):
        day += timedelta(days=1)
    return day


def test_residents_reminder_has_a_stop_link_that_stops_it(client: TestClient, vigie: Vigie):
    csrf = sign_in(client, vigie, "stop@example.org")
    _remind(client, csrf, streams=["household"], at="20:30")
    sunday = _coming_sunday(vigie)

    def evening(days: int) -> datetime:
        return datetime.combine(sunday + timedelta(days=days), time(20, 31), tzinfo=vigie.city.timezone)

    assert send_due_reminders(vigie, evening(0)) == 1  # Monday: household
    drain_outbox(vigie)
    (sent,) = outbox(vigie, "reminder")
    sender = make_sender(vigie.settings)
    assert isinstance(sender, FileSender) and sent.status == "sent" and sent.message_id
    eml = sender.path_for(sent.id, sent.message_id).read_bytes()
    message = message_from_bytes(eml, policy=policy.default)
    with vigie.db.session() as s:
        token = str(s.scalar(select(ReminderRow.token)))
    assert token in message["List-Unsubscribe"] and "mailto:" in message["List-Unsubscribe"]
    assert f"/courriel/arreter/{token}/" in message.get_body(("plain",)).get_content()
    stop = f"/courriel/arreter/{token}/{link_code(vigie.settings.secret_key, STOP, token)}"
    page = client.get(stop)
    assert page.status_code == 200 and "Ne plus recevoir les rappels de collecte" in page.text
    assert "signalement" not in page.text.split('<section class="card narrow">', 1)[1].split("</section>")[0]
    assert "Rappels arrêtés" in client.post(stop).text
    assert send_due_reminders(vigie, evening(3)) == 0  # Thursday, stopped
    page = client.get("/compte").text
    assert "arrêté depuis le lien du courriel" in page
    _remind(client, csrf, streams=["household"], at="20:30")  # asked again: a new subscription
    with vigie.db.session() as s:
        assert s.scalar(select(ReminderRow.token)) != token
    assert send_due_reminders(vigie, evening(7)) == 1


def test_residents_reminder_form_refuses_bad_input_naming_the_field(client: TestClient, vigie: Vigie):
    assert _remind(client, "x").status_code == 401  # not signed in
    csrf = sign_in(client, vigie, "form@example.org")
    assert _remind(client, "wrong").status_code == 403
    for over, status, field in (
        ({"streams": ["glass"]}, 422, "streams"),
        ({"streams": []}, 422, "streams"),
        ({"at": "25:00"}, 422, "at"),
        ({"at": "08:00"}, 422, "at"),
        ({"commune": "99999"}, 404, "commune"),
        ({"label": ""}, 422, "label"),
    ):
        r = _remind(client, csrf, **over)
        assert r.status_code == status and r.json()["field"] == field, (over, r.text)
    page = client.post(
        "/compte/rappels", data={"csrf_token": csrf, **HOME, "at": "19:00"}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 422 and "Choisissez au moins une collecte" in page.text  # a page for browsers
    assert _remind(client, csrf).status_code == 303
    assert _remind(client, csrf, at="21:00").status_code == 303  # the same address: changed, not doubled
    (reminder,) = client.get("/api/v1/resident").json()["reminders"]
    assert reminder["at"] == "21:00" and reminder["stream_names"] == ["Ordures ménagères", "Recyclables"]
    r = client.post(
        f"/compte/rappels/{reminder['id']}/supprimer", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and client.get("/api/v1/resident").json()["reminders"] == []
    missing = client.post(f"/compte/rappels/{reminder['id']}/supprimer", data={"csrf_token": csrf})
    assert missing.status_code == 404


def test_residents_waste_page_offers_the_reminder_to_a_signed_in_resident(client: TestClient, vigie: Vigie):
    page = client.get("/dechets").text
    assert 'action="/compte/rappels"' not in page
    sign_in(client, vigie, "page@example.org")
    assert "/compte" in client.get("/dechets").text


def test_residents_reminder_job_runs_on_the_leader_only_when_rounds_exist(vigie: Vigie):
    (job,) = make_background(vigie)
    assert job.name == "waste reminders" and job.period == vigie.settings.waste_reminder_minutes * 60
    vigie.settings.waste_rounds = ""
    assert make_background(vigie) == []


def _reminders_of(client: TestClient, csrf: str, *homes: tuple[str, str, str]) -> None:
    for label, street, at in homes:
        r = _remind(client, csrf, label=label, rue=street, at=at)
        assert r.status_code == 303, r.text


def test_residents_reminder_one_email_an_evening_lists_every_address(client: TestClient, vigie: Vigie, app):  # type: ignore[no-untyped-def]
    csrf = sign_in(client, vigie, "plusieurs@example.org")
    _reminders_of(
        client,
        csrf,
        ("1 Rue de la Liberté 21000 Dijon", "Rue de la Liberté", "21:00"),
        ("4 Rue Monge 21000 Dijon", "Rue Monge", "19:00"),
    )
    other = TestClient(app)  # another resident's browser
    _remind(other, sign_in(other, vigie, "voisine@example.org"), at="19:30")
    # Wednesday 11 November 2026 (a holiday: Wednesday's recycling moves to Thursday 12,
    # which also has household waste): one e-mail per resident, at the earliest of their times.
    assert send_due_reminders(vigie, _at(vigie, "2026-11-11T18:59")) == 0
    assert send_due_reminders(vigie, _at(vigie, "2026-11-11T19:01")) == 1
    (mail,) = outbox(vigie, "reminder")
    assert mail.recipient == "plusieurs@example.org"
    assert "1 Rue de la Liberté" in mail.body_text and "4 Rue Monge" in mail.body_text
    assert mail.body_text.count("jeudi 12 novembre") == 2
    assert mail.subject.endswith("Ordures ménagères, Recyclables")  # each stream named once
    assert "http://testserver/compte" in mail.body_text  # several addresses: the account lists them
    assert send_due_reminders(vigie, _at(vigie, "2026-11-11T21:05")) == 1  # the neighbour's only
    assert [m.recipient for m in outbox(vigie, "reminder")] == [
        "plusieurs@example.org",
        "voisine@example.org",
    ]
    # Its stop link stops the e-mail, so every reminder it listed.
    stop = STOP_LINK.search(mail.body_text)
    assert stop is not None and client.post(stop.group(1)).status_code == 200
    assert [r["stopped"] for r in client.get("/api/v1/resident").json()["reminders"]] == [True, True]
    assert send_due_reminders(vigie, _at(vigie, "2026-11-15T21:05")) == 1  # Monday 16: the neighbour's


def test_residents_reminder_missed_evening_is_caught_up_before_midnight_only(
    client: TestClient, vigie: Vigie, app
):  # type: ignore[no-untyped-def]
    _remind(client, sign_in(client, vigie, "tardif@example.org"), at="19:00")
    # The server was down from 18:00 to 23:50 on Sunday 15 November: Monday's reminder goes then.
    assert send_due_reminders(vigie, _at(vigie, "2026-11-15T23:50")) == 1
    other = TestClient(app)  # another resident's browser
    _remind(other, sign_in(other, vigie, "absent@example.org"), at="19:00")
    # Down from Wednesday 18:00 to Thursday 00:10: Thursday's collection day started, no reminder
    # of it, then or later; the next evening due is Sunday's (household on Monday 23).
    for moment in ("2026-11-19T00:10", "2026-11-19T19:30", "2026-11-20T19:30", "2026-11-21T19:30"):
        assert send_due_reminders(vigie, _at(vigie, moment)) == 0, moment
    absent = [m for m in outbox(vigie, "reminder") if m.recipient == "absent@example.org"]
    assert absent == []
    assert send_due_reminders(vigie, _at(vigie, "2026-11-22T19:30")) == 2
    # A reminder still waiting in the outbox when its collection day starts is never sent.
    for m in outbox(vigie, "reminder"):
        assert m.expires_at is not None and m.expires_at.hour in (22, 23)  # local midnight, in UTC
    assert drain_outbox(vigie) == 2  # the two sign-in links; those collection days are past now
    assert {m.status for m in outbox(vigie, "reminder")} == {"failed"}
    assert {m.last_error for m in outbox(vigie, "reminder")} == {EXPIRED}


def test_residents_reminder_is_queued_once_by_concurrent_runs(client: TestClient, vigie: Vigie):
    csrf = sign_in(client, vigie, "concurrent@example.org")
    _reminders_of(
        client,
        csrf,
        ("1 Rue de la Liberté 21000 Dijon", "Rue de la Liberté", "19:00"),
        ("4 Rue Monge 21000 Dijon", "Rue Monge", "19:00"),
    )
    moment = _at(vigie, "2026-11-15T19:10")
    start = threading.Barrier(4)
    counts: list[int] = []

    def run() -> None:
        start.wait()
        counts.append(send_due_reminders(vigie, moment))

    workers = [threading.Thread(target=run) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(counts) == [0, 0, 0, 1]
    (mail,) = outbox(vigie, "reminder")
    assert "1 Rue de la Liberté" in mail.body_text and "4 Rue Monge" in mail.body_text
    assert send_due_reminders(vigie, moment) == 0  # a restart runs it again: nothing more
