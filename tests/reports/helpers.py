"""Small builders shared by the report tests."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

DIJON = {"lat": 47.3220, "long": 5.0415}


def submission(**over: Any) -> Any:
    """A pothole report in Dijon as intake's ``Submission`` (no HTTP), by phone unless told."""
    from vigie.reports.intake import Submission

    fields: dict[str, Any] = {
        "service_code": "nid-de-poule",
        "channel": "phone",
        "description": "Trou devant l'école",
        "lat": DIJON["lat"],
        "long": DIJON["long"],
        "attributes": {"danger_immediat": "non"},
    }
    fields.update(over)
    return Submission(**fields)


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
    service = next(s for s in vigie.catalogue.services.values() if not s.public and not s.agents_only)
    return service.code, valid_attributes(service)


def submit_report(vigie: Any, **over: Any) -> int:
    """A pothole report through the intake (web channel, with a reporter e-mail); its id."""
    from vigie.reports.intake import Submission, check_submission, do_submit_report

    values: dict[str, Any] = {
        "service_code": "nid-de-poule",
        "channel": "web",
        "description": "Trou profond",
        "lat": DIJON["lat"],
        "long": DIJON["long"],
        "attributes": {"danger_immediat": "non"},
        "reporter_email": "habitant@example.org",
        **over,
    }
    row, _ = do_submit_report(vigie, check_submission(vigie, Submission(**values)))
    return int(row.id)


def make_varied_reports(vigie: Any) -> list[int]:
    """Reports covering every shape a list renders: photos, media links, closed, merged,
    no location, quotes and accents, odd attributes, dates across DST changes and in 1905.

    Written through the intake, then edited in place where only history or agents would
    set a field. Returns the ids.
    """
    from datetime import UTC, datetime

    from sqlalchemy import update

    from vigie.reports.storage import PhotoRow, ReportRow, ReportUpdateRow

    def submit(**over: Any) -> int:
        return submit_report(vigie, **over)

    ids = [
        submit(),
        submit(description='Guillemets " et \\ barre, saut\nde ligne, accents éàç 🚧', address="1 rue Monge"),
        submit(lat=None, long=None, address="Place Darcy, Dijon"),
        submit(lat=47.30123456789012, long=5.012345678901234),
        submit(media_urls=["https://example.org/a.jpg"]),
        submit(description=""),
        submit(
            service_code="luminaire-hors-service",
            attributes=valid_attributes(vigie.catalogue.services["luminaire-hors-service"]),
        ),
    ]
    summer = datetime(2026, 7, 14, 10, 0, 0, tzinfo=UTC)
    edits: list[dict[str, Any]] = [
        {
            "status": "resolved",
            "closed_at": datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
            "status_notes": "Réparé « vite »",
            "requested_at": datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        },
        {
            "status": "rejected",
            "reject_reason": "Hors\tdomaine",
            "closed_at": None,
            "requested_at": datetime(2026, 10, 25, 1, 0, 0, tzinfo=UTC),
            "expected_at": None,
        },
        {
            "status": "duplicate",
            "duplicate_of_id": None,
            "requested_at": summer,
            "updated_at": datetime(1905, 6, 1, 12, 0, tzinfo=UTC),
        },
        {"status": "in_progress", "attributes": {"danger_immediat": "oui", "liste": ["a", "b"], "n": 2.5}},
        {"status": "acknowledged", "reference": None},
        {"attributes": None, "address": ""},
        {},
    ]
    with vigie.db.engine.begin() as conn:
        for report_id, values in zip(ids, edits, strict=True):
            if values.get("status") == "duplicate":
                values["duplicate_of_id"] = ids[0]
            if values:
                conn.execute(update(ReportRow).where(ReportRow.id == report_id).values(**values))
        now = datetime(2026, 11, 26, 9, 0, 0, 0, tzinfo=UTC)
        for n, (report_id, kind) in enumerate(
            [(ids[1], "report"), (ids[1], "report"), (ids[3], "resolution")]
        ):
            conn.execute(
                PhotoRow.__table__.insert().values(
                    report_id=report_id,
                    key=f"photo{n}abc",
                    kind=kind,
                    content_type="image/jpeg",
                    width=640 + n,
                    height=480,
                    size=1000,
                    created_at=now,
                )
            )
        created = ReportUpdateRow.__table__
        for report_id, detail in [
            (ids[2], {"media": "https://example.org/s.png"}),
            (ids[5], {"media": []}),
            (ids[6], {"media": [""]}),
        ]:
            conn.execute(
                update(created)
                .where(created.c.report_id == report_id, created.c.kind == "created")
                .values(detail=detail)
            )
    return ids
