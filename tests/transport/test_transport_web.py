from __future__ import annotations

from pathlib import Path

from vigie.runtime import Vigie
from vigie.transport.importer import do_import_gtfs


def test_transport_web_stops_near_and_departures(client, vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    r = client.get("/api/v1/transport/stops/near", params={"lat": 47.3230, "lon": 5.0350, "radius": 1500})
    assert r.status_code == 200
    assert [s["id"] for s in r.json()["stops"]] == ["S1", "S2"]
    r = client.get("/api/v1/transport/stops/S1/departures")
    assert r.status_code == 200 and r.json()["stop"]["name"] == "Darcy"
    assert isinstance(r.json()["departures"], list)


def test_transport_web_bad_input_is_a_clear_4xx(client, vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    r = client.get("/api/v1/transport/stops/near", params={"lat": 95, "lon": 5})
    assert r.status_code == 422 and r.json()["field"] == "lat"
    r = client.get("/api/v1/transport/stops/nope/departures")
    assert r.status_code == 404 and "no stop 'nope'" in r.json()["detail"]
    assert client.get("/api/v1/transport/realtime/replay.pb").status_code == 404  # no replay configured


def test_transport_web_stop_page_shows_departures_in_both_languages(client, vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    page = client.get("/transports/arrets/S1")
    assert page.status_code == 200 and "Prochains passages" in page.text
    assert "Next departures" in client.get("/transports/arrets/S1?lang=en").text
    assert client.get("/transports/arrets/nope").status_code == 404


def test_transport_web_page_lists_stops_near_a_point(client, vigie: Vigie, timetable: Path):
    do_import_gtfs(vigie, timetable)
    page = client.get("/transports", params={"lat": 47.3230, "lon": 5.0350})
    assert page.status_code == 200
    assert 'href="/transports/arrets/S1"' in page.text and 'href="/transports/arrets/S3"' not in page.text
