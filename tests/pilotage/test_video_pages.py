"""Control-room pages of the operations log and video protection: filters, search, writes
from the page, who sees which page, FR/EN, and the register's consultation audited."""

from __future__ import annotations

from sqlalchemy import select

from tests.telemetry.helpers import add_asset
from tests.videoprotection.helpers import extraction, video_site
from vigie.accounts.storage import AuditRow
from vigie.oplog.actions import do_write
from vigie.videoprotection import actions, register


def test_video_pages_oplog_filters_search_and_writes(vigie, make_agent, session_client):
    op = make_agent("operator")
    do_write(vigie, op, "winter", "Verglas signalé avenue du Drapeau", "urgent")
    do_write(vigie, op, "lighting", "Armoire A12 ouverte par l'entreprise")
    c = session_client(op)
    page = c.get("/pilotage/main-courante")
    assert page.status_code == 200 and "Verglas signalé" in page.text and "Armoire A12" in page.text
    assert 'href="/api/v1/oplog.csv"' in page.text and 'id="oplog-write"' in page.text
    only = c.get("/pilotage/main-courante", params={"service": "winter", "q": "drapeau"}).text
    assert "Verglas signalé" in only and "Armoire A12" not in only
    assert 'href="/api/v1/oplog.csv?service=winter&amp;q=drapeau"' in only
    assert c.get("/pilotage/main-courante", params={"start": "hier"}).status_code == 422
    english = c.get("/pilotage/main-courante", params={"lang": "en"}).text
    assert "Operations log" in english and "New entry" in english
    # A field agent has no access; a video operator reads it, with the video service's entries.
    assert session_client(make_agent("field_agent")).get("/pilotage/main-courante").status_code == 403


def test_video_pages_video_page_for_its_roles_only(vigie, make_agent, session_client):
    vo = make_agent("video_operator")
    add_asset(vigie, "CAM-0001", "camera")
    site = video_site(vigie, vo)
    actions.do_set_camera(
        vigie, vo, "CAM-0001", site["id"], overlooks_private=True, privacy_masks=False, signage=True
    )
    actions.do_check_compliance(vigie)
    text = session_client(vo).get("/pilotage/videoprotection").text
    assert "DIJ-VP-001" in text and "masques de confidentialité" in text and 'id="vp-map"' in text
    assert (
        'href="/pilotage/videoprotection"' in text and 'href="/pilotage/videoprotection/registre"' not in text
    )
    for role in ("operator", "admin", "supervisor"):
        c = session_client(make_agent(role))
        assert c.get("/pilotage/videoprotection").status_code == 403
        assert 'href="/pilotage/videoprotection"' not in c.get("/pilotage/main-courante").text


def test_video_pages_register_page_is_audited(vigie, make_agent, session_client):
    reg = make_agent("video_registrar")
    add_asset(vigie, "CAM-0001", "camera")
    register.do_register_extraction(vigie, reg, extraction("CAM-0001"))
    text = session_client(reg).get("/pilotage/videoprotection/registre").text
    assert "PV 2026/001234" in text and "CAM-0001" in text
    with vigie.db.session() as s:
        assert (
            s.scalar(select(AuditRow.actor).where(AuditRow.action == "video.register.consulted")) == reg.email
        )
    assert (
        session_client(make_agent("video_operator")).get("/pilotage/videoprotection/registre").status_code
        == 403
    )


def test_video_pages_site_page_audited_with_its_form_for_managers(vigie, make_agent, session_client):
    vo, reg = make_agent("video_operator"), make_agent("video_registrar")
    add_asset(vigie, "CAM-0001", "camera")
    site = video_site(vigie, vo)
    actions.do_set_camera(
        vigie, vo, "CAM-0001", site["id"], overlooks_private=True, privacy_masks=False, signage=True
    )
    actions.do_check_compliance(vigie)
    text = session_client(vo).get(f"/pilotage/videoprotection/systemes/{site['id']}").text
    assert "Système DIJ-VP-001" in text and "2024-VP-DIJ-VP-001" in text and "Claire Martin" in text
    assert 'href="/pilotage/videoprotection/cameras/CAM-0001"' in text
    assert "masques de confidentialité" in text  # the camera's open alert
    assert 'id="vs-form"' in text and 'value="crime_prevention" checked' in text
    assert 'id="help-dialog"' in text and "Aller aux caméras du système" in text
    # The registrar reads the site but has no form; every opening is audited.
    assert (
        'id="vs-form"' not in session_client(reg).get(f"/pilotage/videoprotection/systemes/{site['id']}").text
    )
    with vigie.db.session() as s:
        actors = s.scalars(select(AuditRow.actor).where(AuditRow.action == "video.site.consulted")).all()
    assert sorted(actors) == sorted([vo.email, reg.email])
    english = session_client(vo).get(f"/pilotage/videoprotection/systemes/{site['id']}?lang=en").text
    assert "Prefectoral authorisation" in english and "Change the system" in english
    assert session_client(vo).get("/pilotage/videoprotection/systemes/999999").status_code == 404
    assert (
        session_client(make_agent("operator"))
        .get(f"/pilotage/videoprotection/systemes/{site['id']}")
        .status_code
        == 403
    )


def test_video_pages_new_site_form_for_managers_only(vigie, make_agent, session_client):
    text = session_client(make_agent("video_operator")).get("/pilotage/videoprotection/systemes/nouveau").text
    assert 'id="vs-form"' in text and 'data-site=""' in text and 'max="30"' in text
    for purpose in ("public_buildings", "waste_dumping"):
        assert f'value="{purpose}"' in text
    reg = session_client(make_agent("video_registrar"))
    assert reg.get("/pilotage/videoprotection/systemes/nouveau").status_code == 403


def test_video_pages_camera_page_audited(vigie, make_agent, session_client):
    vo = make_agent("video_operator")
    add_asset(vigie, "CAM-0001", "camera")
    add_asset(vigie, "SL-0001", "streetlight")
    site = video_site(vigie, vo)
    actions.do_set_camera(
        vigie, vo, "CAM-0001", site["id"], overlooks_private=False, privacy_masks=False, signage=False
    )
    actions.do_check_compliance(vigie)
    c = session_client(vo)
    text = c.get("/pilotage/videoprotection/cameras/CAM-0001").text
    assert "Caméra CAM-0001" in text and 'id="site-link"' in text and "Caméra sans panneau" in text
    assert f'<option value="{site["id"]}" selected>' in text and 'id="vc-form"' in text
    with vigie.db.session() as s:
        assert (
            s.scalar(select(AuditRow.target_id).where(AuditRow.action == "video.camera.consulted"))
            == "CAM-0001"
        )
    assert c.get("/pilotage/videoprotection/cameras/SL-0001").status_code == 404  # not a camera
    assert c.get("/pilotage/videoprotection/cameras/" + "x" * 80).status_code == 404
