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
