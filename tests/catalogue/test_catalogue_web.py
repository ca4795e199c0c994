"""The admin's catalogue reload (/api/v1/catalogue/reload)."""

from __future__ import annotations

import shutil

from sqlalchemy import select

from vigie.accounts.storage import AuditRow


def test_catalogue_reload_from_a_long_path_succeeds_and_is_audited(client, auth, vigie, tmp_path):
    # An installed package's catalogue often lives deeper than 64 characters.
    deep = tmp_path / ("site-packages-" * 5) / "vigie" / "city" / "profiles" / "dijon"
    deep.mkdir(parents=True)
    path = deep / "catalogue.yaml"
    shutil.copyfile(vigie.city.catalogue_path, path)
    assert len(str(path)) > 100
    vigie.city.catalogue_path = path
    r = client.post("/api/v1/catalogue/reload", headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["source"] == str(path)
    with vigie.db.session() as s:
        (row,) = s.scalars(select(AuditRow).where(AuditRow.action == "catalogue.reload"))
    assert len(row.target_id) <= 64
    assert row.detail["source"] == str(path)
    assert vigie.catalogue.source == str(path)
