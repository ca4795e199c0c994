"""Open311 GeoReport v2 output: JSON and XML bodies, and the spec's error lists.

JSON is the mechanical ("Spark convention") mapping of the XML: a list answer is
a bare array whose XML form is a container element holding one element per
item (``<services><service>…``); a dict is an element per key. A list under a
key that is not a known container (e.g. the values of a multivaluelist
attribute) becomes repeated elements named after the key.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from vigie.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    VigieError,
)

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
FORMATS = ("json", "xml")

# Container element -> the element of each item it holds.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
    "service_request_updates": "request_update",
}

# Characters XML 1.0 cannot carry at all, even escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def format_of(request: Request) -> str:
    """The answer format, from the path suffix: ``.xml`` gives XML, anything else JSON."""
    return "xml" if request.url.path.lower().endswith(".xml") else "json"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _fill(elem: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _append(elem, str(key), child)
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS.get(elem.tag, "item")
        for item in value:
            _fill(ET.SubElement(elem, item_tag), item)
    else:
        elem.text = _text(value)


def _append(parent: ET.Element, key: str, value: Any) -> None:
    if isinstance(value, list | tuple) and key not in ITEM_TAGS:
        for item in value:  # Spark convention: an array is a repeated element
            _fill(ET.SubElement(parent, key), item)
        return
    _fill(ET.SubElement(parent, key), value)


def xml_document(root: str, value: Any) -> bytes:
    elem = ET.Element(root)
    _fill(elem, value)
    ET.indent(elem)
    return (XML_DECLARATION + ET.tostring(elem, encoding="unicode")).encode("utf-8")


def json_document(value: Any) -> bytes:
    return orjson.dumps(value)


def render(
    fmt: str,
    root: str,
    value: Any,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """One answer in ``fmt``; ``root`` names the XML root element (unused in JSON)."""
    if fmt == "xml":
        return Response(xml_document(root, value), status_code, headers, media_type=XML_TYPE)
    return Response(json_document(value), status_code, headers, media_type=JSON_TYPE)


# --- errors ----------------------------------------------------------------


def open311_status(exc: VigieError) -> int:
    """HTTP status of an error under the spec: 404, 403, or 400 for anything else.

    413 and 429 are kept: they say something about the transport that a
    client must act on (send less, slow down) rather than about the request;
    so is 503 (the server cannot serve now: send it again), never the client's fault.
    """
    status = getattr(exc, "status", 400)
    if isinstance(exc, NotFound) or status == 404:
        return 404
    if isinstance(exc, Forbidden | Unauthorized) or status in (401, 403):
        return 403
    if isinstance(exc, PayloadTooLarge) or status == 413:
        return 413
    if isinstance(exc, TooManyRequests) or status == 429:
        return 429
    if status in (405, 503):
        return int(status)
    return 400


def describe(exc: VigieError) -> str:
    """The message, prefixed with the field at fault: ``lat: this location is outside…``."""
    message = getattr(exc, "message", None) or str(exc) or "invalid request"
    field = getattr(exc, "field", None)
    if field and not message.startswith(f"{field}:"):
        return f"{field}: {message}"
    return message


def errors_body(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]


def error_response(request: Request, exc: VigieError) -> Response:
    status = open311_status(exc)
    response = render(format_of(request), "errors", errors_body(status, describe(exc)), status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:  # a 429 or a 503 says when to send again, as the native API's answers do
        response.headers["Retry-After"] = str(retry_after)
    return response


__all__ = [
    "FORMATS",
    "JSON_TYPE",
    "XML_TYPE",
    "describe",
    "error_response",
    "format_of",
    "json_document",
    "open311_status",
    "render",
    "xml_document",
]
