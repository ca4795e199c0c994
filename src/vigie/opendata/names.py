"""The names the personal data scanner looks for: residents who reported and agents."""

from __future__ import annotations

from sqlalchemy import select

from vigie.accounts.storage import UserRow
from vigie.opendata.scanner import usable_names
from vigie.reports.storage import ReportRow
from vigie.runtime import Vigie


def known_names(v: Vigie) -> list[str]:
    with v.db.session() as s:
        reporters = s.scalars(select(ReportRow.reporter_name).where(ReportRow.reporter_name != "").distinct())
        agents = s.scalars(select(UserRow.name).where(UserRow.name != ""))
        return usable_names([*reporters, *agents])
