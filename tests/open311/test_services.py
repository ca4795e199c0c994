"""Open311 service list, service definitions, discovery, formats and jurisdiction."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from vigie.runtime import Vigie

from .helpers import BULKY, FORMATS, POTHOLE, V2, json_error, spec_error, xml_root

SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]


def test_services_json_lists_every_catalogue_service(client: TestClient, vigie: Vigie) -> None:
    r = client.get(f"{V2}/services.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json()
    assert isinstance(body, list)
    assert [s["service_code"] for s in body] == [s.code for s in vigie.catalogue.resident_services()]
    pothole = next(s for s in body if s["service_code"] == POTHOLE)
    assert list(pothole) == SERVICE_FIELDS
    assert pothole["service_name"] == "Nid-de-poule"
    assert pothole["metadata"] is True
    assert pothole["type"] in ("realtime", "batch", "blackbox")
    assert isinstance(pothole["keywords"], str) and "," in pothole["keywords"]
    assert pothole["group"] == vigie.catalogue.groups["voirie"].name.get("fr")


def test_services_xml_has_one_service_element_per_service(client: TestClient, vigie: Vigie) -> None:
    r = client.get(f"{V2}/services.xml")
    assert r.status_code == 200
    root = xml_root(r)
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == len(vigie.catalogue.resident_services())
    pothole = next(s for s in services if s.findtext("service_code") == POTHOLE)
    assert [c.tag for c in pothole] == SERVICE_FIELDS
    assert pothole.findtext("metadata") == "true"
    assert pothole.findtext("service_name") == "Nid-de-poule"


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({}, "", "Nid-de-poule"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, "", "Pothole"),
        ({"Accept-Language": "de, en;q=0.5, fr;q=0.4"}, "", "Pothole"),
        ({"Accept-Language": "en"}, "?lang=fr", "Nid-de-poule"),
        ({}, "?lang=en", "Pothole"),
        ({}, "?lang=", "Nid-de-poule"),
    ],
)
def test_services_service_name_follows_language(
    client: TestClient, headers: dict[str, str], query: str, expected: str
) -> None:
    body = client.get(f"{V2}/services.json{query}", headers=headers).json()
    assert next(s for s in body if s["service_code"] == POTHOLE)["service_name"] == expected


def test_service_definition_json_describes_attributes(client: TestClient, extra_services: Vigie) -> None:
    r = client.get(f"{V2}/services/{BULKY}.json")
    assert r.status_code == 200
    body = r.json()
    assert body["service_code"] == BULKY
    attrs = body["attributes"]
    assert [a["code"] for a in attrs] == ["objets", "volume_m3", "vu_le"]
    assert list(attrs[0]) == ATTRIBUTE_FIELDS
    objets = attrs[0]
    assert objets["datatype"] == "multivaluelist"
    assert objets["required"] is True and objets["variable"] is True
    assert objets["order"] == 1
    assert objets["datatype_description"] == "Un ou plusieurs"
    assert objets["values"][0] == {"key": "meuble", "name": "Meuble"}
    assert attrs[1]["datatype"] == "number" and attrs[1]["required"] is False
    assert attrs[1]["datatype_description"] is None and attrs[1]["values"] == []


def test_service_definition_xml_matches_spec_layout(client: TestClient, extra_services: Vigie) -> None:
    r = client.get(f"{V2}/services/{BULKY}.xml", headers={"Accept-Language": "en"})
    root = xml_root(r)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == BULKY
    attrs = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["objets", "volume_m3", "vu_le"]
    assert [c.tag for c in attrs[0]] == ATTRIBUTE_FIELDS
    assert attrs[0].findtext("required") == "true"
    values = attrs[0].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
        ("meuble", "Furniture"),
        ("electromenager", "Appliance"),
        ("gravats", "Rubble"),
    ]
    assert attrs[1].findtext("datatype_description") == ""  # empty element


def test_service_definition_of_pothole_uses_catalogue(client: TestClient, vigie: Vigie) -> None:
    body = client.get(f"{V2}/services/{POTHOLE}.json").json()
    expected = [a.code for a in vigie.catalogue.services[POTHOLE].attributes]
    assert sorted(a["code"] for a in body["attributes"]) == sorted(expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_unknown_service_is_404(client: TestClient, fmt: str) -> None:
    r = client.get(f"{V2}/services/pas-un-service.{fmt}")
    assert r.status_code == 404
    code, description = spec_error(r)
    assert description.startswith("service_code: ")
    assert "pas-un-service" in description


@pytest.mark.parametrize(
    "path", ["/services.csv", "/services.html", "/requests.yaml", "/services/nid-de-poule.txt"]
)
def test_format_unknown_suffix_is_404(client: TestClient, path: str) -> None:
    r = client.get(V2 + path)
    assert r.status_code == 404
    code, description = json_error(r)
    assert code == 404 and "format" in description


def test_format_unknown_route_is_spec_404(client: TestClient) -> None:
    r = client.get(f"{V2}/nothing-here.xml")
    assert r.status_code == 404
    assert spec_error(r)[0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["/services", f"/services/{POTHOLE}", "/requests", "/servicerequestupdates"])
def test_jurisdiction_unknown_is_404(client: TestClient, fmt: str, path: str) -> None:
    r = client.get(f"{V2}{path}.{fmt}", params={"jurisdiction_id": "paris.fr"})
    assert r.status_code == 404
    code, description = spec_error(r)
    assert description.startswith("jurisdiction_id: ") and "paris.fr" in description


@pytest.mark.parametrize("value", ["", "dijon-metropole.fr"])
def test_jurisdiction_empty_or_own_is_accepted(client: TestClient, vigie: Vigie, value: str) -> None:
    assert vigie.city.jurisdiction_id == "dijon-metropole.fr"
    r = client.get(f"{V2}/services.json", params={"jurisdiction_id": value})
    assert r.status_code == 200
    assert r.json() == client.get(f"{V2}/services.json").json()


def test_discovery_json_points_at_v2(client: TestClient, vigie: Vigie) -> None:
    r = client.get("/open311/discovery.json")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["contact"] == vigie.city.contact
    (endpoint,) = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver/open311/v2",
        "changeset": body["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    assert body["changeset"].endswith("Z")


def test_discovery_xml_lists_formats(client: TestClient) -> None:
    root = xml_root(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = root.findall("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
