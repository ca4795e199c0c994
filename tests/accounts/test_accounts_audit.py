"""The audit log keeps whatever target it is given, however long its id."""

from __future__ import annotations

from sqlalchemy import select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import SYSTEM
from vigie.accounts.storage import AuditRow


def test_audit_target_id_longer_than_its_column_is_kept_whole_in_detail(vigie):
    target = "/opt/vigie/lib/python3.11/site-packages/vigie/city/profiles/dijon/catalogue.yaml"
    with vigie.db.session(write=True) as s:
        do_audit(s, SYSTEM, "catalogue.reload", "catalogue", target, {"services": 3})
        s.commit()
    with vigie.db.session() as s:
        row = s.scalars(select(AuditRow)).one()
    assert len(row.target_id) <= 64 and row.target_id.endswith("catalogue.yaml")
    assert row.detail == {"services": 3, "target_id": target}
