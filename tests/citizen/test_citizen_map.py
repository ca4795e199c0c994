"""The public map's view endpoint: every public report in view, clustered by the database."""

from __future__ import annotations

from tests.reports.helpers import sensitive_service, submit_report

CITY = {"bbox": "4.9,47.2,5.2,47.45"}


def test_citizen_map_counts_every_public_report_in_view(client, vigie):
    ids = {str(submit_report(vigie, lat=47.3220 + i * 0.0004, long=5.0415)) for i in range(30)}
    code, attrs = sensitive_service(vigie)
    hidden = str(submit_report(vigie, service_code=code, attributes=attrs))
    far = client.get("/api/v1/map", params={**CITY, "zoom": 10}).json()
    assert far["total"] == 30 and far["points"] == []
    assert sum(c["count"] for c in far["clusters"]) == 30
    close = client.get("/api/v1/map", params={**CITY, "zoom": 18}).json()
    assert {p["id"] for p in close["points"]} == ids and hidden not in {p["id"] for p in close["points"]}
    point = close["points"][0]
    assert "reporter_email" not in point and point["service_name"] and point["status"] == "new"
    elsewhere = client.get("/api/v1/map", params={"bbox": "2.2,48.8,2.4,48.9", "zoom": 12}).json()
    assert elsewhere == {"total": 0, "clusters": [], "points": []}


def test_citizen_map_follows_the_page_filters(client, vigie):
    submit_report(vigie)
    chenove = submit_report(vigie, lat=47.2920, long=5.0080)
    only = client.get("/api/v1/map", params={**CITY, "zoom": 18, "zone": "21166"}).json()
    assert [p["id"] for p in only["points"]] == [str(chenove)]
    assert client.get("/api/v1/map", params={**CITY, "zoom": 18, "status": "resolved"}).json()["total"] == 0


def test_citizen_map_refuses_bad_views(client):
    assert client.get("/api/v1/map", params={"bbox": "5,47,4,46"}).status_code == 422
    assert client.get("/api/v1/map", params={**CITY, "zoom": "near"}).status_code == 422
    assert client.get("/api/v1/map", params={**CITY, "zoom": 40}).status_code == 422
    assert client.get("/api/v1/map").status_code == 422
