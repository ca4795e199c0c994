from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar

from vigie.errors import ConfigurationError
from vigie.runtime import Vigie
from vigie.waste.domain import load_rounds
from vigie.waste.ical import zone_calendar

ROUNDS = """
streams:
  household: {fr: Ordures ménagères, en: Household waste}
  recycling: {fr: Recyclables, en: Recycling}
holidays: next_day
exceptions:
  - {date: 2026-12-31, moved_to: 2026-12-30}
  - {date: 2027-01-07}
zones:
  - id: centre
    name: Centre
    streets: ["21231: Rue de la Liberté"]
    rounds: {household: [fri]}
  - id: ville
    name: Ville
    communes: ["21231"]
    rounds: {household: [mon, thu], recycling: [wed]}
"""


def _rounds(tmp_path: Path, text: str = ROUNDS):
    path = tmp_path / "waste.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rounds(path)


def french_holiday(day: date) -> bool:
    return (day.month, day.day) in {(12, 25), (1, 1)}


def test_waste_street_wins_over_its_commune(tmp_path: Path):
    rounds = _rounds(tmp_path)
    assert rounds.zone_for("21231", "rue de la liberte").id == "centre"  # folded: case and accents
    assert rounds.zone_for("21231", "Rue des Forges").id == "ville"
    assert rounds.zone_for("21166", "") is None


def test_waste_holiday_moves_the_round_and_exceptions_move_or_cancel(tmp_path: Path):
    rounds = _rounds(tmp_path)
    centre = rounds.zone_for("21231", "Rue de la Liberté")
    found = rounds.collections(centre, date(2026, 12, 21), date(2027, 1, 3), french_holiday)
    # Friday 25 December is a holiday: the round moves to Saturday 26; Friday 1 January to Saturday 2.
    assert [(c.day, c.moved_from) for c in found] == [
        (date(2026, 12, 26), date(2026, 12, 25)),
        (date(2027, 1, 2), date(2027, 1, 1)),
    ]
    ville = rounds.zone_for("21231", "")
    days = [
        (c.day, c.stream.code)
        for c in rounds.collections(ville, date(2026, 12, 28), date(2027, 1, 8), french_holiday)
    ]
    assert (date(2026, 12, 30), "household") in days and (date(2026, 12, 31), "household") not in days
    assert (date(2027, 1, 7), "household") not in days  # cancelled
    assert (date(2027, 1, 4), "household") in days and (date(2027, 1, 6), "recycling") in days


def test_waste_configuration_errors_name_the_field(tmp_path: Path):
    with pytest.raises(ConfigurationError) as err:
        _rounds(tmp_path, ROUNDS.replace("household: [fri]", "household: [friday]"))
    assert "zones[0].rounds.household" in str(err.value) and "'friday' is not a weekday" in str(err.value)
    with pytest.raises(ConfigurationError) as err:
        _rounds(tmp_path, ROUNDS.replace("recycling: [wed]", "glass: [wed]"))
    assert "'glass' is not a stream" in str(err.value)


def test_waste_icalendar_feed_is_rfc5545_with_stable_uids_and_an_evening_alarm(tmp_path: Path):
    rounds = _rounds(tmp_path)
    centre = rounds.zone_for("21231", "Rue de la Liberté")
    found = rounds.collections(centre, date(2026, 12, 21), date(2027, 1, 3), french_holiday)
    cal = Calendar.from_ical(
        zone_calendar(centre, "12 Rue de la Liberté", found, "fr", "vigie.example", "Collecte")
    )
    assert cal["version"] == "2.0" and str(cal["x-wr-calname"]) == "Collecte – 12 Rue de la Liberté"
    events = list(cal.walk("VEVENT"))
    assert [e.decoded("dtstart") for e in events] == [date(2026, 12, 26), date(2027, 1, 2)]
    # The UID is the usual day's: a feed refreshed after the move updates the same event.
    assert str(events[0]["uid"]) == "centre-household-20261225@vigie.example"
    alarm = events[0].walk("VALARM")[0]
    assert alarm.decoded("trigger").total_seconds() == -6 * 3600


def test_waste_pages_and_feed(client, vigie: Vigie, tmp_path: Path):
    vigie.settings.waste_rounds = str(tmp_path / "waste.yaml")
    (tmp_path / "waste.yaml").write_text(ROUNDS, encoding="utf-8")
    r = client.get(
        "/dechets/calendrier.ics", params={"commune": "21231", "rue": "Rue de la Liberté", "nom": "Chez moi"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in r.text and "Ordures ménagères" in r.text
    assert "Household waste" in client.get("/dechets/calendrier.ics?commune=21231&lang=en").text
    missing = client.get("/dechets/calendrier.ics", params={"commune": "99999"})
    assert (
        missing.status_code == 404 and "no collection zone covers commune '99999'" in missing.json()["detail"]
    )
    assert client.get("/dechets/calendrier.ics").status_code == 422
    assert client.get("/dechets").status_code == 200


def test_waste_feed_without_rounds_configured_is_not_found(client):
    assert client.get("/dechets/calendrier.ics", params={"commune": "21231"}).status_code == 404
