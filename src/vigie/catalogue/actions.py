"""Catalogue use cases: reloading the city's catalogue file without a restart."""

from __future__ import annotations

from pathlib import Path

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.catalogue.domain import Catalogue
from vigie.catalogue.loader import load_catalogue
from vigie.runtime import Vigie


def do_reload_catalogue(v: Vigie, agent: Agent | None) -> Catalogue:
    """Load the catalogue file again and swap it in (catalogue.manage).

    An invalid file raises ``ConfigurationError`` and the running catalogue is kept;
    the new one is swapped in only once the reload is audited.
    """
    agent = require(agent, "catalogue.manage")
    cat = load_catalogue(v.city.catalogue_path, v.city.zones.codes())
    with v.db.session(write=True) as s:
        # The path goes to the detail: it is often longer than an audit target id.
        do_audit(
            s,
            agent,
            "catalogue.reload",
            "catalogue",
            Path(cat.source).name,
            {"source": cat.source, "services": len(cat.services)},
        )
        s.commit()
    v.catalogue = cat
    return cat
