"""The waste collection reminder e-mail: the evening before, holidays and exceptions applied,
once per day, through the outbox with its stop link, from a form on the account's pages."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.residents.conftest import outbox, sign_in
from vigie.notifications.consent import STOP, link_code
from vigie.notifications.sender import FileSender, make_sender
from vigie.notifications.service import drain_outbox
from vigie.residents.service import make_background, send_due_reminders
from vigie.residents.storage import ReminderRow
from vigie.runtime import Vigie

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


def test_residents_reminder_has_a_stop_link_that_stops_it(client: TestClient, vigie: Vigie):
    csrf = sign_in(client, vigie, "stop@example.org")
    _remind(client, csrf, streams=["household"], at="20:30")
    assert send_due_reminders(vigie, _at(vigie, "2026-11-15T20:31")) == 1  # Monday 16: household
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
    assert page.status_code == 200 and "Ne plus recevoir ce rappel de collecte" in page.text
    assert "signalement" not in page.text.split('<section class="card narrow">', 1)[1].split("</section>")[0]
    assert "Rappel arrêté" in client.post(stop).text
    assert send_due_reminders(vigie, _at(vigie, "2026-11-18T20:31")) == 0  # Thursday 19, stopped
    page = client.get("/compte").text
    assert "arrêté depuis le lien du courriel" in page
    _remind(client, csrf, streams=["household"], at="20:30")  # asked again: a new subscription
    with vigie.db.session() as s:
        assert s.scalar(select(ReminderRow.token)) != token
    assert send_due_reminders(vigie, _at(vigie, "2026-11-22T20:31")) == 1


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
