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


def required_attributes(vigie: Any, service_code: str) -> dict[str, str]:
    """A valid value for each required attribute of a catalogue service, as form fields.

    The Dijon catalogue evolves; tests about other things should not break when
    it gains a required question.
    """
    out: dict[str, str] = {}
    for a in vigie.catalogue.services[service_code].attributes:
        if not a.required:
            continue
        if a.values:
            value = a.values[-1].key
        elif a.datatype.value == "number":
            value = "1"
        elif a.datatype.value == "datetime":
            value = "2026-01-01T10:00:00+01:00"
        else:
            value = "test"
        suffix = "[]" if a.datatype.value == "multivaluelist" else ""
        out[f"attribute[{a.code}]{suffix}"] = value
    return out


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
