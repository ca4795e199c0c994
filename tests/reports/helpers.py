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
