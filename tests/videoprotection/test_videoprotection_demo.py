"""The Dijon demo's 269 cameras grouped into realistic sites."""

from __future__ import annotations

from vigie.assets.demo import load_demo_fleet
from vigie.videoprotection import actions
from vigie.videoprotection.demo import load_demo_sites


def test_videoprotection_demo_groups_every_camera_into_a_site(module_vigie):
    v = module_vigie
    load_demo_fleet(v)
    (line,) = load_demo_sites(v)
    assert line.endswith("for 269 cameras")
    assert load_demo_sites(v) == ["video protection: demo sites already loaded"]
    from vigie.accounts.actions import do_add_user

    vo = do_add_user(v.db, "vo@demo.example", "video_operator", "a-long-password")
    sites = actions.list_sites(v, vo)
    cams = actions.list_cameras(v, vo)
    assert len(cams) == 269 and all(c["site_id"] for c in cams)
    assert sum(s["cameras"] for s in sites) == 269
    dijon = [s for s in sites if s["zone"] == "21231"]
    assert len(dijon) >= 10 and max(s["cameras"] for s in dijon) <= 60  # sectors, not one block
    others = [s for s in sites if s["zone"] != "21231"]
    assert len(others) == 8 and all("vidéoprotection communale" in s["name"] for s in others)
    assert all(s["purposes"] and s["retention_days"] <= 30 and s["authorisation_number"] for s in sites)
    assert {s["state"] for s in sites} <= {"authorised", "expiring", "expired"}
