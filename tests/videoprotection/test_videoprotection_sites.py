"""Sites within French law, compliance alerts, who sees cameras, audited consultations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.videoprotection.helpers import draft, site_body, video_site
from vigie.accounts.storage import AuditRow
from vigie.db import utcnow
from vigie.errors import Conflict, Forbidden, NotFound, ValidationFailed
from vigie.oplog.actions import OplogFilter, list_entries
from vigie.videoprotection import actions, domain


def audits(v, action):  # type: ignore[no-untyped-def]
    with v.db.session() as s:
        return [(r.actor, r.target_id) for r in s.scalars(select(AuditRow).where(AuditRow.action == action))]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"purposes": ["marketing"]}, "purposes"),
        ({"purposes": []}, "purposes"),
        ({"retention_days": 45}, "retention_days"),
        ({"retention_days": None}, "retention_days"),
        ({"commission_opinion": ""}, "commission_opinion"),
        ({"commission_opinion": "maybe"}, "commission_opinion"),
        (
            {"authorisation_expiry": (date.today() + timedelta(days=365 * 4)).isoformat()},
            "authorisation_expiry",
        ),
        ({"authorisation_number": ""}, "authorisation_number"),
        ({"lat": 47.3, "long": None}, "lat"),
        ({"code": ""}, "code"),
    ],
)
def test_videoprotection_sites_the_law_is_checked(over, field):
    with pytest.raises(ValidationFailed) as err:
        domain.check_site(draft(site_body(**over)))
    assert err.value.field == field


def test_videoprotection_sites_expiry_is_five_years_unless_sooner():
    d = domain.check_site(draft(site_body(authorised_on=date(2024, 2, 29))))
    assert d.authorisation_expiry == date(2029, 2, 28)
    # An imported site may have no authorisation yet: recorded, and alerted on.
    bare = domain.check_site(draft({"code": "PARIS-1", "name": "Rue de Rivoli"}))
    assert bare.authorisation_expiry is None


def test_videoprotection_sites_only_its_roles(vigie, roles):
    site = video_site(vigie, roles["video_operator"])
    with pytest.raises(Forbidden):
        video_site(vigie, roles["video_registrar"], code="X")  # sees, does not manage
    for name in ("operator", "admin"):
        with pytest.raises(Forbidden):
            actions.list_sites(vigie, roles[name])
        with pytest.raises(Forbidden):
            actions.get_site(vigie, roles[name], site["id"])
    with pytest.raises(Conflict):
        video_site(vigie, roles["video_operator"])  # same code
    with pytest.raises(ValidationFailed):
        video_site(vigie, roles["video_operator"], code="Y", zone="99999")


def test_videoprotection_sites_consultations_are_audited(vigie, roles, cameras):
    vo = roles["video_operator"]
    site = video_site(vigie, vo)
    actions.do_set_camera(
        vigie, vo, cameras[0], site["id"], overlooks_private=True, privacy_masks=True, signage=True
    )
    assert audits(vigie, "video.site.consulted") == []
    detail = actions.get_site(vigie, vo, site["id"])
    assert detail["cameras"] == 1 and detail["camera_list"][0]["id"] == cameras[0]
    actions.get_camera(vigie, roles["video_registrar"], cameras[0])
    assert audits(vigie, "video.site.consulted") == [(vo.email, str(site["id"]))]
    assert audits(vigie, "video.camera.consulted") == [(roles["video_registrar"].email, cameras[0])]
    # Listing is not consulting (no detail opened): not audited.
    actions.list_sites(vigie, vo)
    actions.list_cameras(vigie, vo)
    assert len(audits(vigie, "video.site.consulted")) == 1
    seen = actions.list_consultations(vigie, roles["video_registrar"])
    assert [c["action"] for c in seen] == ["video.camera.consulted", "video.site.consulted"]
    with pytest.raises(Forbidden):
        actions.list_consultations(vigie, vo)
    with pytest.raises(NotFound):
        actions.get_camera(vigie, vo, "SL-00001")


def test_videoprotection_sites_compliance_alerts_open_once_close_and_log(vigie, roles, cameras):
    vo = roles["video_operator"]
    ok = video_site(vigie, vo, "DIJ-VP-OK")
    soon = video_site(vigie, vo, "DIJ-VP-SOON", authorised_on=date.today() - timedelta(days=365 * 5 - 60))
    actions.do_set_camera(
        vigie, vo, cameras[0], ok["id"], overlooks_private=True, privacy_masks=False, signage=True
    )
    actions.do_set_camera(
        vigie, vo, cameras[1], soon["id"], overlooks_private=False, privacy_masks=False, signage=False
    )
    # cameras[2] belongs to no site.
    assert actions.do_check_compliance(vigie) == {"opened": 5, "closed": 0, "open": 5}
    kinds = sorted((a["kind"], a["site_code"] or "", a["asset_id"]) for a in actions.list_alerts(vigie, vo))
    assert kinds == [
        ("authorisation_expiring", "DIJ-VP-SOON", ""),
        ("camera_no_masks", "DIJ-VP-OK", cameras[0]),
        ("camera_no_signage", "", cameras[2]),
        ("camera_no_signage", "DIJ-VP-SOON", cameras[1]),
        ("camera_outside_site", "", cameras[2]),
    ]
    assert actions.do_check_compliance(vigie)["opened"] == 0  # idempotent
    actions.do_set_camera(
        vigie, vo, cameras[0], ok["id"], overlooks_private=True, privacy_masks=True, signage=True
    )
    assert actions.do_check_compliance(vigie) == {"opened": 0, "closed": 1, "open": 4}
    # The expiring authorisation expires: the alert changes kind, and its camera is now
    # outside any authorised site.
    later = utcnow() + timedelta(days=90)
    assert actions.do_check_compliance(vigie, later) == {"opened": 2, "closed": 1, "open": 5}
    log, _ = list_entries(vigie, vo, OplogFilter(services=("video",), q="expirée"))
    assert [(e["kind"], e["severity"]) for e in log] == [("compliance.opened", "urgent")]
    assert "DIJ-VP-SOON" in log[0]["text"]
    # The rest of the control room does not see the video service's entries.
    assert list_entries(vigie, roles["operator"], OplogFilter(services=("video",)))[1] == 0
