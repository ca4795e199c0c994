"""The schedules' history: every change saved is recorded (who, when, before, after); changes
of the past are recorded with their own date without touching today's schedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from vigie.runtime import Vigie
from vigie.telemetry.schedule_history import Change, load_changes, state_on

URL = "/api/v1/lighting/schedule-changes"


def test_schedule_history_records_each_saved_change_with_who(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("supervisor")
    created = client.post("/api/v1/lighting/schedules", json={"name": "Nuit", "group": "G-001"}, headers=h)
    assert created.status_code == 201
    sid = created.json()["id"]
    r = client.patch(
        f"/api/v1/lighting/schedules/{sid}",
        json={"dim_level": 0.5, "off_start": "01:00", "off_end": "05:00"},
        headers=h,
    )
    assert r.status_code == 200
    # A new name only: nothing the lights burn changed, nothing recorded.
    assert (
        client.patch(f"/api/v1/lighting/schedules/{sid}", json={"name": "Nuit 50 %"}, headers=h).status_code
        == 200
    )
    items = client.get(URL, headers=h).json()["items"]
    assert [i["changed"] for i in items] == [["dim_level", "off_start", "off_end"], ["created"]]
    latest = items[0]
    assert latest["group"] == "G-001" and latest["schedule_id"] == sid
    assert (latest["before"]["dim_level"], latest["after"]["dim_level"]) == (0.7, 0.5)
    assert latest["changed_by"] and latest["changed_by"] != "system@vigie"  # the supervisor who saved it
    assert latest["effective_on"] == items[1]["effective_on"]
    assert client.get(URL + "?group=G-002", headers=h).json()["items"] == []
    assert client.get(URL, headers=auth("operator")).status_code == 403


def test_schedule_history_records_a_change_of_the_past(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("supervisor")
    client.post("/api/v1/lighting/schedules", json={"name": "Toute la ville", "group": "*"}, headers=h)
    body = {
        "group": "*",
        "effective_on": "2019-10-01",
        "before": {"dim_level": 1},
        "after": {"dim_level": 0.7},
        "note": "délibération 2019-112",
    }
    r = client.post(URL, json=body, headers=h)
    assert r.status_code == 201, r.text
    change = r.json()
    assert change["changed"] == ["dim_level"] and change["note"] == "délibération 2019-112"
    # The fields not given are those the group burned then (here: its schedule of today).
    assert change["before"]["dim_start"] == "22:00" and change["after"]["dim_end"] == "05:00"
    # Today's schedule is untouched.
    sched = client.get("/api/v1/lighting/schedules", headers=h).json()["items"][0]
    assert sched["dim_level"] == 0.7
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    for bad, field in (
        ({**body, "effective_on": tomorrow}, "effective_on"),
        ({**body, "effective_on": "2019-13-01"}, "effective_on"),
        ({**body, "after": {"dim_level": 1}}, "after"),  # the same as before: nothing changed
        ({**body, "after": {"dim_start": "25:00"}}, "dim_start"),
        ({**body, "after": {"colour": "red"}}, "colour"),
        ({**body, "group": ""}, "group"),
    ):
        r = client.post(URL, json=bad, headers=h)
        assert r.status_code == 422 and field in r.text, (bad, r.text)
    assert client.post(URL, json=body, headers=auth("operator")).status_code == 403


def test_schedule_history_state_on_a_day() -> None:
    full = {"dim_level": 1.0}
    dimmed = {"dim_level": 0.7}
    changes = [
        Change("*", date(2019, 10, 1), full, dimmed),
        Change("*", date(2023, 1, 1), dimmed, {"dim_level": 0.5}),
        Change("G-2", date(2021, 5, 1), None, dimmed),  # the group had no schedule of its own
    ]
    assert state_on(changes, "*", date(2018, 12, 31)) == (True, full)
    assert state_on(changes, "*", date(2019, 10, 1)) == (True, dimmed)
    assert state_on(changes, "*", date(2024, 6, 1)) == (True, {"dim_level": 0.5})
    assert state_on(changes, "G-2", date(2020, 1, 1)) == (True, None)
    assert state_on(changes, "G-3", date(2020, 1, 1)) == (False, None)


def test_schedule_history_loads_in_date_order(
    vigie: Vigie, client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("supervisor")
    for day, level in (("2022-01-01", 0.5), ("2019-10-01", 0.7)):
        body = {
            "group": "G-9",
            "effective_on": day,
            "before": {"dim_level": 1},
            "after": {"dim_level": level},
        }
        assert client.post(URL, json=body, headers=h).status_code == 201
    assert [(c.effective_on, c.after["dim_level"]) for c in load_changes(vigie)] == [
        (date(2019, 10, 1), 0.7),
        (date(2022, 1, 1), 0.5),
    ]
