"""Small builders shared by the report tests."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

DIJON = {"lat": 47.3220, "long": 5.0415}


def report_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": "nid-de-poule",
        "description": "Trou profond devant la boulangerie",
        "lat": DIJON["lat"],
        "long": DIJON["long"],
        "address": "Place de la Libération, Dijon",
        "attributes": {"danger_immediat": "non"},
    }
    body.update(over)
    return body


def jpeg_bytes(size: tuple[int, int] = (64, 48), gps: tuple[float, float] | None = None) -> bytes:
    img = Image.new("RGB", size, (120, 80, 40))
    out = io.BytesIO()
    if gps is None:
        img.save(out, "JPEG")
        return out.getvalue()
    exif = Image.Exif()

    def dms(value: float) -> tuple[float, float, float]:
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60, 4)
        return (float(d), float(m), s)

    gps_ifd = {1: "N", 2: dms(gps[0]), 3: "E", 4: dms(gps[1])}
    exif[0x8825] = gps_ifd
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def valid_attributes(service: Any) -> dict[str, Any]:
    """Values for the service's required attributes (first value of lists)."""
    out: dict[str, Any] = {}
    for a in service.attributes:
        if not a.required:
            continue
        kind = a.datatype.value
        if kind == "singlevaluelist":
            out[a.code] = a.values[0].key
        elif kind == "multivaluelist":
            out[a.code] = [a.values[0].key]
        elif kind == "number":
            out[a.code] = 1
        elif kind == "datetime":
            out[a.code] = "2026-11-20T08:00:00+01:00"
        else:
            out[a.code] = "x"
    return out


def sensitive_service(vigie: Any) -> tuple[str, dict[str, Any]]:
    service = next(s for s in vigie.catalogue.services.values() if not s.public)
    return service.code, valid_attributes(service)
