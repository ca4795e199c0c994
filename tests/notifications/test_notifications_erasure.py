"""Erasure by e-mail confirmation: a tombstone in every store, nothing before the link is used."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.notifications.conftest import follow_confirmed, outbox
from tests.reports.helpers import DIJON, jpeg_bytes
from vigie.notifications.sender import FileSender
from vigie.notifications.service import drain_outbox
from vigie.notifications.storage import ConsentRow, ErasureRow, OutboxRow
from vigie.photos.processing import process_photo
from vigie.reports.erasure import TOMBSTONE
from vigie.reports.intake import Submission, check_submission, do_submit_report
from vigie.reports.storage import FollowerRow, PhotoRow, ReportRow

EMAIL = "Camille.Durand@example.org"


def _link(v, client) -> str:
    """The erasure link of the last message in the outbox (as the resident reads it)."""
    row = [m for m in outbox(v) if m.kind == "erasure"][-1]
    found = re.search(r"https?://[^\s]+/courriel/effacer/\S+", row.body_text)
    assert found, row.body_text
    return found.group(0).replace(v.settings.public_base_url.rstrip("/"), "")


def _report_with_photo(vigie, email: str) -> ReportRow:
    photo = process_photo(jpeg_bytes(), max_bytes=10_000_000, max_pixels=50_000_000, filename="p.jpg")
    sub = Submission(
        service_code="nid-de-poule",
        channel="web",
        description="Devant chez moi, Camille Durand, 06 12 34 56 78",
        lat=DIJON["lat"],
        long=DIJON["long"],
        attributes={"danger_immediat": "non"},
        reporter_email=email,
        reporter_name="Camille Durand",
        reporter_phone="0612345678",
    )
    row, _ = do_submit_report(vigie, check_submission(vigie, sub), [photo])
    return row


def test_notifications_erasure_replaces_personal_data_in_every_store(vigie, client, submit):
    mine = _report_with_photo(vigie, EMAIL)
    other = submit(email="voisin@example.org")
    follow_confirmed(vigie, other.id, email=EMAIL.lower())
    with vigie.db.session() as s:
        key = s.scalar(select(PhotoRow.key).where(PhotoRow.report_id == mine.id))
    assert drain_outbox(vigie, 10) >= 1  # the receipt, written as an .eml file
    sender = FileSender(vigie.settings.data_dir / "outbox")
    files_before = {p.name: p.read_bytes() for p in sender.directory.glob("*.eml")}
    assert any(EMAIL.lower().encode() in data.lower() for data in files_before.values()), files_before

    r = client.post("/effacement", data={"email": EMAIL})
    assert r.status_code == 202
    link = _link(vigie, client)
    # Opening the link changes nothing (mail scanners open links): only its button erases.
    page = client.get(link)
    assert page.status_code == 200 and "<form" in page.text
    with vigie.db.session() as s:
        assert s.get(ReportRow, mine.id).reporter_email == EMAIL.lower()
    drain_outbox(vigie, 10)  # the erasure message itself goes out as a file too

    done = client.post(link)
    assert done.status_code == 200
    with vigie.db.session() as s:
        row = s.get(ReportRow, mine.id)
        assert (row.reporter_email, row.reporter_name, row.reporter_phone) == ("", "", "")
        assert row.description == TOMBSTONE["fr"] and row.erased_at is not None
        assert row.token != mine.token
        assert s.scalar(select(PhotoRow).where(PhotoRow.report_id == mine.id)) is None
        assert s.get(ReportRow, other.id).reporter_email == "voisin@example.org"  # someone else's
        assert (
            s.scalar(select(FollowerRow).where(FollowerRow.email != "", FollowerRow.report_id == other.id))
            is None
        )
        messages = list(s.scalars(select(OutboxRow)))
        assert not any(EMAIL.lower() in (m.recipient + m.body_text).lower() for m in messages)
        assert s.scalar(select(ConsentRow).where(ConsentRow.address_hash == "")) is not None
        request = s.scalar(select(ErasureRow))
        assert request.status == "done" and request.email == "" and request.counts["reports"] == 1
        assert request.counts["follows"] == 1 and request.counts["photos"] == 1
    assert not vigie.photos.exists(key) and not vigie.photos.exists(key + "_t")
    for path in sender.directory.glob("*.eml"):
        data = path.read_bytes()
        assert b"Camille" not in data and EMAIL.lower().encode() not in data.lower(), path.name
    # The tracking link of the erased report leads nowhere now.
    assert client.get(f"/api/v1/track/{mine.token}").status_code == 404
    # A second use says it is done, and changes nothing.
    assert client.post(link).status_code == 200


def test_notifications_erasure_refuses_wrong_links_and_addresses(vigie, client):
    r = client.post("/effacement", data={"email": "not an address"})
    assert r.status_code == 400
    client.post("/effacement", data={"email": EMAIL})
    link = _link(vigie, client)
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    with vigie.db.session() as s:
        assert s.scalar(select(ErasureRow)).status == "pending"


def test_notifications_erasure_request_does_not_tell_if_the_address_is_known(vigie, client, submit):
    submit(email="known@example.org")
    known = client.post("/effacement", data={"email": "known@example.org"})
    unknown = client.post("/effacement", data={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.text.replace("known@example.org", "") == unknown.text.replace("unknown@example.org", "")


def test_notifications_erasure_drops_the_residents_free_text_answers(vigie, client):
    """The answers a resident typed (a licence plate, a car's make) are what they wrote, as
    their text is: the erasure used to leave them in the report, and public on its API. The
    answers chosen from the service's lists, numbers and dates stay (the city's work needs them)."""
    sub = Submission(
        service_code="vehicule-ventouse",
        channel="web",
        description="Garée devant chez moi",
        lat=DIJON["lat"],
        long=DIJON["long"],
        attributes={
            "plaque": "AB-123-CD",
            "marque_couleur": "Clio rouge",
            "vu_depuis": "2026-12-01T10:00:00Z",
        },
        reporter_email=EMAIL,
    )
    row, _ = do_submit_report(vigie, check_submission(vigie, sub))
    with vigie.db.session() as s:  # the plate is for agents (Dijon's catalogue): read as stored
        before = dict(s.get(ReportRow, row.id).attributes)
    assert before["plaque"] == "AB-123-CD"

    client.post("/effacement", data={"email": EMAIL})
    assert client.post(_link(vigie, client)).status_code == 200

    with vigie.db.session() as s:
        kept = s.get(ReportRow, row.id).attributes
    assert kept == {"vu_depuis": before["vu_depuis"]}
    public = client.get(f"/api/v1/reports/{row.id}").json()
    assert "AB-123-CD" not in str(public) and "Clio" not in str(public)
    open311 = client.get(f"/open311/v2/requests/{row.id}.json").text
    assert "AB-123-CD" not in open311 and "Clio" not in open311


def test_notifications_erasure_request_does_not_tell_a_busy_address(vigie, client, submit):
    """The daily cap of messages to an address never confirmed is shared with the receipts of
    its reports: an address that filed three reports today got 429 where any other got 202, so
    typing someone's address told whether they reported today. Past the cap nothing is sent,
    and the answer is the same."""
    for _ in range(3):
        submit(email="busy@example.org", confirmed=False)
    busy = client.post("/effacement", data={"email": "busy@example.org"})
    quiet = client.post("/effacement", data={"email": "quiet@example.org"})
    assert busy.status_code == quiet.status_code == 202
    assert busy.text.replace("busy@example.org", "") == quiet.text.replace("quiet@example.org", "")
    sent = [m.recipient for m in outbox(vigie) if m.kind == "erasure"]
    assert sent == ["quiet@example.org"]  # the cap still holds: nothing more to the busy one
