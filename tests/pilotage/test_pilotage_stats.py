"""Dashboard statistics on a known dataset (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.pilotage.conftest import submit
from vigie.pilotage.stats import compute_stats
from vigie.reports import intake
from vigie.reports.storage import ReportRow

NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # 14:00 in Dijon (summer time)
H = timedelta(hours=1)


def add(vigie, service, zone_address, requested, status, ack=None, closed=None, expected=None):  # type: ignore[no-untyped-def]
    """A report with exact dates, written through the same insert as submissions."""
    attrs = {"danger_immediat": "non"} if service == "nid-de-poule" else {}
    sub = intake.Submission(
        service_code=service,
        channel="web",
        address=zone_address,
        attributes=attrs,
        requested_at=requested,
    )
    checked = intake.check_submission(vigie, sub)
    rid = intake.do_create_reports(vigie, [checked], history=True).ids[0]
    with vigie.db.session(write=True) as s:
        row = s.get(ReportRow, rid)
        assert row is not None
        row.status = status
        row.acknowledged_at = requested + ack if ack else None
        row.closed_at = requested + closed if closed else None
        row.expected_at = expected
        s.commit()
        return row.id


def lighting(vigie) -> str:  # type: ignore[no-untyped-def]
    return next(
        s.code
        for s in vigie.catalogue.services.values()
        if s.group == "eclairage" and not any(a.required for a in s.attributes)
    )


def dataset(vigie) -> None:  # type: ignore[no-untyped-def]
    light = lighting(vigie)
    far = NOW + timedelta(days=3)
    # open, acknowledged after 1 h, overdue
    add(vigie, "nid-de-poule", "1 rue X, Dijon", NOW - 24 * H, "acknowledged", ack=1 * H, expected=NOW - H)
    # open, acknowledged after 2 h, due within 24 h; 23:30 UTC is already the 15th in Dijon
    add(
        vigie,
        "nid-de-poule",
        "2 rue Y, Chenôve",
        datetime(2026, 7, 14, 23, 30, tzinfo=UTC),
        "assigned",
        ack=2 * H,
        expected=NOW + 5 * H,
    )
    # resolved after 10 h, acknowledged after 4 h
    add(
        vigie,
        light,
        "3 rue Z, Dijon",
        datetime(2026, 7, 10, 8, tzinfo=UTC),
        "resolved",
        ack=4 * H,
        closed=10 * H,
        expected=far,
    )
    # resolved after 20 h (closed 2 July 04:00 UTC = 06:00 local), never acknowledged
    add(
        vigie,
        light,
        "4 rue W, Talant",
        datetime(2026, 7, 1, 8, tzinfo=UTC),
        "resolved",
        closed=20 * H,
        expected=far,
    )
    # open, new, on time
    add(vigie, light, "5 rue V, Dijon", datetime(2026, 7, 12, 10, tzinfo=UTC), "new", expected=far)
    # closed as a duplicate: created that day, not open, not "resolved"
    add(
        vigie,
        "nid-de-poule",
        "6 rue U, Dijon",
        datetime(2026, 7, 13, 9, tzinfo=UTC),
        "duplicate",
        closed=H,
        expected=far,
    )
    # outside the 90-day window: only the (empty) open counts could see it
    add(
        vigie,
        light,
        "7 rue T, Dijon",
        datetime(2026, 3, 1, 9, tzinfo=UTC),
        "rejected",
        ack=50 * H,
        closed=100 * H,
    )


def test_stats_on_a_known_dataset(vigie):
    dataset(vigie)
    stats = compute_stats(vigie, 90, NOW)
    assert stats["open_total"] == 3
    assert stats["overdue"] == 1 and stats["due_soon"] == 1
    assert [(g["code"], g["count"]) for g in stats["open_by_group"]] == [("voirie", 2), ("eclairage", 1)]
    assert [(z["name"], z["count"]) for z in stats["open_by_zone"]] == [("Dijon", 2), ("Chenôve", 1)]
    assert stats["median_acknowledge_seconds"] == 7200.0  # 1 h, 2 h, 4 h
    assert stats["median_resolve_seconds"] == 54000.0  # 10 h and 20 h
    days = stats["per_day"]
    assert len(days) == 90 and stats["first_day"] == "2026-04-17" and stats["last_day"] == "2026-07-15"
    assert days[0]["date"] == "2026-04-17" and days[-1]["date"] == "2026-07-15"
    created = {d["date"]: d["created"] for d in days if d["created"]}
    resolved = {d["date"]: d["resolved"] for d in days if d["resolved"]}
    assert created == {
        "2026-07-01": 1,
        "2026-07-10": 1,
        "2026-07-12": 1,
        "2026-07-13": 1,
        "2026-07-14": 1,
        "2026-07-15": 1,
    }
    assert resolved == {"2026-07-02": 1, "2026-07-10": 1}


def test_stats_with_nothing_and_a_short_window(vigie):
    empty = compute_stats(vigie, 7, NOW)
    assert empty["open_total"] == 0 and empty["overdue"] == 0
    assert empty["median_acknowledge_seconds"] is None and empty["median_resolve_seconds"] is None
    assert [d["created"] for d in empty["per_day"]] == [0] * 7
    dataset(vigie)
    week = compute_stats(vigie, 7, NOW)
    # Only the reports of 9-15 July count for the medians and series.
    assert week["median_acknowledge_seconds"] == 7200.0
    assert week["median_resolve_seconds"] == 36000.0
    assert sum(d["created"] for d in week["per_day"]) == 5


def test_odd_count_median(vigie):
    dataset(vigie)
    with vigie.db.session(write=True) as s:
        row = s.query(ReportRow).filter(ReportRow.status == "new").one()
        row.acknowledged_at = row.requested_at + 3 * H
        s.commit()
    # 1 h, 2 h, 3 h, 4 h -> 2.5 h
    assert compute_stats(vigie, 90, NOW)["median_acknowledge_seconds"] == 9000.0


def test_stats_endpoint_permissions_and_shape(client, auth):
    submit(client)
    assert client.get("/api/v1/pilotage/stats").status_code == 401
    for role in ("operator", "field_agent"):
        r = client.get("/api/v1/pilotage/stats", headers=auth(role))
        assert r.status_code == 403 and r.json()["type"].endswith("forbidden"), role
    for role in ("supervisor", "admin"):
        r = client.get("/api/v1/pilotage/stats", headers=auth(role))
        assert r.status_code == 200, role
        body = r.json()
        assert body["open_total"] == 1 and body["days"] == 90 and len(body["per_day"]) == 90
        assert body["per_day"][-1]["created"] == 1
        assert body["open_by_group"][0]["name"] == "Voirie"
    en = client.get("/api/v1/pilotage/stats", headers={**auth("supervisor"), "Accept-Language": "en"})
    assert en.json()["open_by_group"][0]["name"] == "Roads and pavements"
    for days in ("3", "400", "x"):
        r = client.get("/api/v1/pilotage/stats", params={"days": days}, headers=auth("admin"))
        assert r.status_code == 422 and r.json()["field"] == "days"
