"""The register of image extractions: its own role, checks, audit of every reading, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.videoprotection.helpers import extraction, video_site
from vigie.accounts.storage import AuditRow
from vigie.db import utcnow
from vigie.errors import Conflict, Forbidden, NotFound, ValidationFailed
from vigie.oplog.actions import OplogFilter, list_entries
from vigie.videoprotection import actions, register


def test_videoprotection_register_only_its_role_reads_and_each_reading_is_audited(vigie, roles, cameras):
    reg = roles["video_registrar"]
    entry = register.do_register_extraction(vigie, reg, extraction(cameras[0]))
    assert entry["extracted_by"] == reg.label and entry["cameras"] == [cameras[0]]
    for name in ("video_operator", "operator", "admin"):
        with pytest.raises(Forbidden):
            register.list_register(vigie, roles[name])
        with pytest.raises(Forbidden):
            register.get_extraction(vigie, roles[name], entry["id"])
        with pytest.raises(Forbidden):
            register.do_register_extraction(vigie, roles[name], extraction(cameras[0]))
    assert [e["id"] for e in register.list_register(vigie, reg, "pv 2026")] == [entry["id"]]
    assert register.list_register(vigie, reg, "autre") == []
    register.get_extraction(vigie, reg, entry["id"])
    with vigie.db.session() as s:
        done = [(r.action, r.actor) for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]
    assert done[-4:] == [
        ("video.extraction.registered", reg.email),
        ("video.register.consulted", reg.email),
        ("video.register.consulted", reg.email),
        ("video.extraction.consulted", reg.email),
    ]
    assert [c["action"] for c in actions.list_consultations(vigie, reg)][:3] == [
        "video.extraction.consulted",
        "video.register.consulted",
        "video.register.consulted",
    ]


def test_videoprotection_register_writes_the_log_for_its_role_only(vigie, roles, cameras):
    reg = roles["video_registrar"]
    entry = register.do_register_extraction(vigie, reg, extraction(cameras[0]))
    log, _ = list_entries(vigie, reg, OplogFilter(ref=f"extraction:{entry['id']}"))
    assert [e["kind"] for e in log] == ["extraction.registered"] and "PV 2026/001234" in log[0]["text"]
    for name in ("video_operator", "operator"):
        assert list_entries(vigie, roles[name], OplogFilter(ref=f"extraction:{entry['id']}"))[1] == 0
    register.do_record_destruction(vigie, reg, entry["id"])
    with pytest.raises(Conflict):
        register.do_record_destruction(vigie, reg, entry["id"])
    with pytest.raises(NotFound):
        register.do_record_destruction(vigie, reg, 999)
    assert register.get_extraction(vigie, reg, entry["id"])["destroyed_by"] == reg.label


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"requisition_kind": "curiosity"}, "requisition_kind"),
        ({"requisition_reference": " "}, "requisition_reference"),
        ({"cameras": []}, "cameras"),
        ({"cameras": ["CAM-9999"]}, "cameras"),
        ({"cameras": ["SL-00001"]}, "cameras"),
        ({"medium": "floppy"}, "medium"),
        ({"span_end": utcnow() + timedelta(hours=1)}, "span_end"),
        ({"span_start": utcnow() - timedelta(days=40)}, "span_start"),
        (
            {"span_start": utcnow() - timedelta(hours=1), "span_end": utcnow() - timedelta(hours=2)},
            "span_end",
        ),
        ({"requisition_date": utcnow().date() + timedelta(days=2)}, "requisition_date"),
    ],
)
def test_videoprotection_register_bad_entries_name_the_field(vigie, roles, cameras, over, field):
    with pytest.raises(ValidationFailed) as err:
        register.do_register_extraction(vigie, roles["video_registrar"], extraction(cameras[0], **over))
    assert err.value.field == field


def test_videoprotection_register_images_past_the_sites_retention_are_gone(vigie, roles, cameras):
    site = video_site(vigie, roles["video_operator"], retention_days=7)
    actions.do_set_camera(
        vigie,
        roles["video_operator"],
        cameras[0],
        site["id"],
        overlooks_private=False,
        privacy_masks=False,
        signage=True,
    )
    old = utcnow() - timedelta(days=10)
    with pytest.raises(ValidationFailed, match="7 days"):
        register.do_register_extraction(
            vigie,
            roles["video_registrar"],
            extraction(cameras[0], span_start=old, span_end=old + timedelta(hours=1)),
        )


def test_videoprotection_register_api(client, agent_token, vigie, cameras):
    h = {"Authorization": f"Bearer {agent_token('video_registrar')}"}
    body = extraction(cameras[0], as_json=True)
    r = client.post("/api/v1/videoprotection/register", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert (
        client.get("/api/v1/videoprotection/register", headers=h).json()["items"][0]["id"] == r.json()["id"]
    )
    bad = {**body, "span_start": "2026-12-01T10:00:00"}
    r = client.post("/api/v1/videoprotection/register", json=bad, headers=h)
    assert r.status_code == 422 and "zone" in r.text
    other = {"Authorization": f"Bearer {agent_token('admin')}"}
    assert client.get("/api/v1/videoprotection/register", headers=other).status_code == 403
