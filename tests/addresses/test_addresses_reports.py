"""Every report has an address: typed, found under its point, or placed from the gazetteer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vigie.addresses.importer import do_import_addresses
from vigie.notifications.messages import compose
from vigie.reports.actions import do_move, get_report
from vigie.runtime import Vigie

from .conftest import BAN_HEADER, ban_row

LIBERTE_12 = {"lat": 47.322729, "long": 5.035801}  # 12 Rue de la Liberté, Dijon


def _report(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": "nid-de-poule",
        "description": "Trou profond",
        "attributes": {"danger_immediat": "non"},
        **over,
    }
    return body


def _open311(client: TestClient, api_key: str, **fields: str) -> Any:
    data = {"api_key": api_key, "service_code": "nid-de-poule", "attribute[danger_immediat]": "non", **fields}
    return client.post("/open311/v2/requests.json", data=data)


def test_reports_point_gets_the_address_under_it(client: TestClient, dijon_gazetteer: Vigie) -> None:
    r = client.post("/api/v1/reports", json=_report(lat=LIBERTE_12["lat"] + 0.0001, long=LIBERTE_12["long"]))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["address"] == "12 Rue de la Liberté 21000 Dijon"
    assert body["address_id"] == "21231_rue_de_la_liberte_00012"
    page = client.get(f"/suivi/{body['token']}")
    assert "12 Rue de la Liberté 21000 Dijon" in page.text


def test_reports_typed_address_is_kept(client: TestClient, dijon_gazetteer: Vigie) -> None:
    r = client.post("/api/v1/reports", json=_report(**LIBERTE_12, address="Devant la boulangerie, Dijon"))
    assert r.status_code == 201, r.text
    assert (r.json()["address"], r.json()["address_id"]) == ("Devant la boulangerie, Dijon", "")


def test_reports_point_far_from_any_address_keeps_none(client: TestClient, dijon_gazetteer: Vigie) -> None:
    r = client.post("/api/v1/reports", json=_report(lat=47.3660, long=5.0280))  # fields of Ahuy
    assert r.status_code == 201, r.text
    assert r.json()["address"] == "" and r.json()["zone"] == "21003"


def test_reports_address_id_of_the_gazetteer_places_the_report(
    client: TestClient, dijon_gazetteer: Vigie
) -> None:
    r = client.post("/api/v1/reports", json=_report(address_id="21231_rue_de_la_liberte_00012"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["lat"], body["long"]) == pytest.approx((LIBERTE_12["lat"], LIBERTE_12["long"]), abs=1e-5)
    assert body["address"] == "12 Rue de la Liberté 21000 Dijon"


def test_open311_address_string_is_geocoded_in_the_city(
    client: TestClient, api_key: str, dijon_gazetteer: Vigie
) -> None:
    r = _open311(client, api_key, address_string="12 rue de la Liberté")
    assert r.status_code == 200, r.text
    rid = r.json()[0]["service_request_id"]
    got = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert got["address"] == "12 rue de la Liberté"
    assert got["address_id"] == "21231_rue_de_la_liberte_00012"
    assert abs(got["lat"] - LIBERTE_12["lat"]) < 1e-5 and abs(got["long"] - LIBERTE_12["long"]) < 1e-5
    listed = client.get("/open311/v2/requests.json", params={"service_request_id": rid}).json()
    assert listed[0]["address_id"] == "21231_rue_de_la_liberte_00012"


def test_open311_address_id_known_and_unknown(
    client: TestClient, api_key: str, dijon_gazetteer: Vigie
) -> None:
    r = _open311(client, api_key, address_id="21231_rue_de_la_liberte_00012")
    assert r.status_code == 200, r.text
    rid = r.json()[0]["service_request_id"]
    got = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert got["address"] == "12 Rue de la Liberté 21000 Dijon"
    r = _open311(client, api_key, address_id="21231_nowhere_00001")
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("address_id: ")


def test_open311_address_string_nowhere_or_outside_is_400(
    client: TestClient, api_key: str, vigie: Vigie, tmp_path: Path
) -> None:
    paris = tmp_path / "adresses-75.csv"
    row = ban_row(
        "75101_8635_00010", "10", "", "Rue de Rivoli", "75001", "75101", "Paris 1er", 2.3560, 48.8556
    )
    paris.write_text(BAN_HEADER + "\n" + row + "\n", encoding="utf-8")
    do_import_addresses(vigie, paris, None, "ban-75")
    r = _open311(client, api_key, address_string="10 rue de Rivoli")
    assert r.status_code == 400
    message = r.json()[0]["description"]
    assert message.startswith("address_string: ") and "outside" in message
    r = _open311(client, api_key, address_string="10 Downing Street, London")
    assert r.status_code == 400 and r.json()[0]["description"].startswith("address_string: ")


def test_reports_move_takes_the_address_of_the_new_point(
    vigie: Vigie, dijon_gazetteer: Vigie, client: TestClient, make_agent: Callable[..., Any]
) -> None:
    r = client.post("/api/v1/reports", json=_report(lat=47.3225, long=5.0385, address="Près du marché"))
    rid = r.json()["id"]
    moved = do_move(vigie, rid, make_agent("supervisor"), LIBERTE_12["lat"], LIBERTE_12["long"])
    assert (moved.address, moved.address_id) == (
        "12 Rue de la Liberté 21000 Dijon",
        "21231_rue_de_la_liberte_00012",
    )
    assert get_report(vigie, rid).address == "12 Rue de la Liberté 21000 Dijon"


def test_reports_email_says_where() -> None:
    msg = compose(
        lang="fr",
        city="Dijon Métropole",
        contact="",
        reference="DIJ-2026-000001",
        service="Nid de poule",
        status="resolved",
        template="",
        note="",
        link="http://x/suivi/t",
        stop_link="http://x/stop/t",
        follower=False,
        place="12 Rue de la Liberté 21000 Dijon",
    )
    assert "Lieu : 12 Rue de la Liberté 21000 Dijon." in msg.body_text
    assert "12 Rue de la Liberté 21000 Dijon" in msg.body_html
