"""Constants and parsers shared by the Open311 tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

V2 = "/open311/v2"
CENTRE = {"lat": "47.3220", "long": "5.0415"}
POTHOLE = "nid-de-poule"
BULKY = "test-encombrants"
PRIVATE = "test-prive"
NOTICE_FR = "Merci, la métropole passe sous 48 h."
FORMATS = ("json", "xml")


def xml_root(response: Any) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def xml_error(response: Any) -> tuple[int, str]:
    root = xml_root(response)
    assert root.tag == "errors"
    errors = root.findall("error")
    assert len(errors) == 1
    return int(errors[0].findtext("code") or 0), errors[0].findtext("description") or ""


def json_error(response: Any) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"code", "description"}
    return body[0]["code"], body[0]["description"]


def spec_error(response: Any) -> tuple[int, str]:
    """The (code, description) of a spec error in either format; checks code == HTTP status."""
    fmt_xml = response.request.url.path.endswith(".xml")
    code, description = xml_error(response) if fmt_xml else json_error(response)
    assert code == response.status_code
    return code, description
