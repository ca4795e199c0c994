"""Information pages: staff write them (info.manage, audited), everyone reads them."""

from __future__ import annotations

from sqlalchemy import select

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.cityinfo.domain import InfoPage, check_page
from vigie.cityinfo.storage import InfoPageRow
from vigie.db import utcnow
from vigie.errors import NotFound
from vigie.runtime import Vigie


def _page(row: InfoPageRow) -> InfoPage:
    return InfoPage(row.slug, row.title_fr, row.title_en, row.body_fr, row.body_en, row.position)


def list_pages(v: Vigie) -> list[InfoPage]:
    with v.db.session() as s:
        rows = s.scalars(select(InfoPageRow).order_by(InfoPageRow.position, InfoPageRow.slug)).all()
    return [_page(r) for r in rows]


def get_page(v: Vigie, slug: str) -> InfoPage:
    with v.db.session() as s:
        row = s.get(InfoPageRow, slug)
    if row is None:
        raise NotFound(f"no information page '{slug[:64]}'", field="slug")
    return _page(row)


def do_save_page(v: Vigie, agent: Agent | None, slug: str, data: dict[str, object]) -> tuple[InfoPage, bool]:
    """Create or replace a page; returns it and whether it is new."""
    agent = require(agent, "info.manage")
    page = check_page(slug, data)
    with v.db.session(write=True) as s:
        row = s.get(InfoPageRow, slug)
        created = row is None
        if row is None:
            row = InfoPageRow(slug=slug)
            s.add(row)
        row.title_fr, row.title_en = page.title_fr, page.title_en
        row.body_fr, row.body_en = page.body_fr, page.body_en
        row.position = page.position
        row.updated_at = utcnow()
        row.updated_by = agent.id
        do_audit(s, agent, "info_page.save", "info_page", slug, {"created": created})
        s.commit()
    return page, created


def do_delete_page(v: Vigie, agent: Agent | None, slug: str) -> None:
    agent = require(agent, "info.manage")
    with v.db.session(write=True) as s:
        row = s.get(InfoPageRow, slug)
        if row is None:
            raise NotFound(f"no information page '{slug[:64]}'", field="slug")
        s.delete(row)
        do_audit(s, agent, "info_page.delete", "info_page", slug, {})
        s.commit()


__all__ = ["do_delete_page", "do_save_page", "get_page", "list_pages"]
