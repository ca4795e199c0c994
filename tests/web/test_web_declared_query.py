"""Every native API GET route refuses a query parameter it does not declare, naming it.

FastAPI ignores an undeclared parameter: ``limit=5`` or ``since=…`` (other APIs' names) came
back as the default answer, as if applied (outside review, 2026-12-07).
``web.deps.declared_query_only``, given to each native API router, refuses it (422, ``field``
naming it). This walks the app's routes, so a new route or router that forgets it fails here.
"""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts

UNKNOWN = "zz_not_a_parameter"
# Standards-defined APIs with their own rules and error shapes, checked below for what their
# specification says, not by declared_query_only:
STANDARDS = (
    "/open311/",  # GeoReport v2: clients send jurisdiction_id, api_key… everywhere; ignored
    "/api/ogc",  # OGC API Features: an unknown parameter is a 400 (its own error JSON)
    "/api/explore/",  # Opendatasoft Explore v2.1: a 400 in its own error shape
)
# Native API routes left out, and why.
EXEMPT = {
    # Photos are files linked from Open311's media_url, e-mails and other sites: a parameter a
    # client or proxy adds to an image's URL cannot be a filter mistaken for applied.
    "/api/v1/photos/{key}",
    "/api/v1/photos/{key}/thumbnail",
}


def _get_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        {r.path for r in iter_route_contexts(app.routes) if "GET" in (getattr(r, "methods", None) or set())}
    )


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_web_declared_query_every_native_api_route_refuses_an_unknown_parameter(client, app):
    native = [
        p
        for p in _get_routes(app)
        if p.startswith("/api/") and not p.startswith(STANDARDS) and p not in EXEMPT
    ]
    assert len(native) > 80, "the route walk finds too few routes: out of date"
    wrong = []
    for path in native:
        r = client.get(_url(path), params={UNKNOWN: "1"})
        body = r.json() if "json" in r.headers.get("content-type", "") else {}
        if r.status_code != 422 or body.get("field") != UNKNOWN or UNKNOWN not in body.get("detail", ""):
            wrong.append(f"{path}: {r.status_code} {r.text[:120]}")
    assert not wrong, "routes without web.deps.declared_query_only:\n" + "\n".join(wrong)


def test_web_declared_query_exemptions_are_routes_of_the_app(app):
    assert set(_get_routes(app)) >= EXEMPT


def test_web_declared_query_a_parameter_given_twice_is_refused_unless_a_list(client, auth):
    r = client.get("/api/v1/assets?page=1&page=2", headers=auth("operator"))
    assert r.status_code == 422 and r.json()["field"] == "page", r.text
    # A parameter declared as a list is read from every copy.
    r = client.get("/api/v1/oplog?severity=info&severity=urgent", headers=auth("operator"))
    assert r.status_code == 200, r.text


def test_web_declared_query_conventional_parameters_pass(client, auth):
    # lang (web.i18n.request_language), apikey (a reuser's key), api_key (Open311 clients)
    for name, value in (("lang", "en"), ("apikey", "x"), ("api_key", "x")):
        r = client.get("/api/v1/services", params={name: value})
        assert r.status_code == 200, (name, r.text)


def test_web_declared_query_standards_refuse_unknown_parameters_their_way(client):
    # OGC API Features /req/core/query-param-unknown, and the Explore API: a 400 naming it.
    for path in ("/api/ogc/collections", "/api/explore/v2.1/catalog/datasets"):
        r = client.get(path, params={UNKNOWN: "1"})
        assert r.status_code == 400 and UNKNOWN in r.text, (path, r.text)
    # Open311 GeoReport v2 clients send parameters of their own: ignored, as before.
    r = client.get("/open311/v2/services.json", params={UNKNOWN: "1"})
    assert r.status_code == 200, r.text


# What the pages' scripts (src/vigie/static/js) and templates send, parameter for parameter:
# each must stay accepted. Values need not be right: only "unknown" or "given twice" fail here.
SCRIPTS_SEND = (
    # pilotage/queue.js: the list, its export and its map
    "/api/v1/pilotage/queue?status=new&group=voirie&zone=21231&priority=high&sla=late&q=a&sort=age"
    "&page=1&page_size=50",
    "/api/v1/pilotage/queue.csv?status=new&group=voirie&zone=21231&priority=high&sla=late&q=a&sort=age",
    "/api/v1/pilotage/queue/map?status=new&q=a&bbox=4.9,47.2,5.2,47.45&zoom=12",
    "/api/v1/pilotage/suggest?text=lampadaire",  # pilotage/intake.js
    "/api/v1/reports/duplicates?service_code=nid-de-poule&lat=47.32&long=5.04",  # report.js, intake.js
    "/api/v1/reports?q=12&page_size=5",  # pilotage/detail.js
    "/api/v1/reports?assigned_to_me=true&status=new,acknowledged&page_size=200",  # pilotage/terrain.js
    "/api/v1/alarms?page_size=500&state=active&severity=critical&type=x&zone=21231&asset_id=SL-1",
    "/api/v1/alarms?state=active&page_size=500&page=1",  # pilotage/equipment.js
    "/api/v1/oplog?page_size=50&service=voirie&severity=urgent&q=a",  # pilotage/oplog.js
    "/api/v1/oplog.csv?service=winter&q=drapeau",  # pilotage/oplog.html
    "/api/v1/oplog/summary?format=text&lang=fr",  # pilotage/oplog.html
    "/api/v1/telemetry/SL-00001?start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z",  # assets.js
    "/api/v1/lighting/compliance/points.geojson?status=all&zone=21231",  # lighting_compliance.js
    # pilotage/lighting_plan.js: the plan, its downloads and its map
    *(
        f"/api/v1/lighting/{what}?mode=budget&budget=1000&crew=2&years=5&start_year=2027&objective=energy"
        "&target_kwh=1&target=x&together=1&tariff=0.2&dim_level=50&priorities=a,b&lang=fr"
        for what in ("plan", "plan.csv", "plan.xlsx", "plan.geojson")
    ),
    "/api/v1/winter/circuits?geometry=true",  # pilotage/winter.js
    "/api/v1/assets.geojson?type=street_light",  # pilotage/equipment.js
    "/api/v1/addresses/search?q=rue&lat=47.32&lon=5.04&limit=6",  # address.js
    "/api/v1/addresses/reverse?lat=47.32&lon=5.04",  # address.js
    # citizen/map.js: the public map with /carte's filters
    "/api/v1/map?service=nid-de-poule&status=open&zone=21231&start=2026-01-01&end=2026-02-01"
    "&bbox=4.9,47.2,5.2,47.45&zoom=12",
    "/api/v1/map/layers/addresses.geojson?bbox=5.03,47.31,5.05,47.33",  # vigie.js
    "/api/v1/videoprotection/public.json?lang=fr",  # videoprotection/public.html
)


def test_web_declared_query_what_the_pages_send_is_accepted(client, auth):
    headers = auth("admin")
    wrong = []
    for url in SCRIPTS_SEND:
        r = client.get(url, headers=headers)
        if "unknown parameter" in r.text or "more than once" in r.text:
            wrong.append(f"{url}: {r.status_code} {r.text[:160]}")
    # PUT with ?shift= (pilotage/winter_rota.js), DELETE with ?kind=&ref= (citizen/account.js)
    r = client.put("/api/v1/winter/assignments?shift=2026-01-01", json={}, headers=headers)
    if "unknown parameter" in r.text:
        wrong.append(f"PUT /api/v1/winter/assignments?shift=: {r.text[:160]}")
    r = client.delete("/api/v1/resident/favourites?kind=address&ref=x")
    if "unknown parameter" in r.text:
        wrong.append(f"DELETE /api/v1/resident/favourites?kind=&ref=: {r.text[:160]}")
    assert not wrong, "\n".join(wrong)
