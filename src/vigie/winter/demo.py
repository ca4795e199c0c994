"""The Dijon demo's winter service: P1 circuits from Divia's network, assigned to the winter
vehicles of the demo fleet, and a first salt stock count."""

from __future__ import annotations

from sqlalchemy import func, select

from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import AssetFilter, list_assets
from vigie.runtime import Vigie
from vigie.winter.actions import assign_round_robin, circuits_from_gtfs, do_create_circuits, do_record_salt
from vigie.winter.storage import CircuitRow

FEED = "dijon/divia_gtfs"
STOCK_TONNES = 2500.0  # an illustrative first count for the Métropole's depots


def load_demo_winter(v: Vigie) -> list[str]:
    feed = v.settings.open_data_dir / FEED
    with v.db.session() as s:
        if s.scalar(select(func.count()).select_from(CircuitRow)):
            return ["demo winter circuits: already present"]
    if not feed.is_dir():
        return [f"demo winter circuits: skipped ({feed} not found)"]
    rows, _ = list_assets(v, AssetFilter(types=["vehicle"]), page_size=1000)
    vehicles = [r.id for r in rows if r.attributes.get("vehicleRole") in ("snow_plough", "salt_spreader")]
    drafts = circuits_from_gtfs(feed)
    assign_round_robin(drafts, vehicles)
    do_create_circuits(v, SYSTEM, drafts)
    do_record_salt(v, SYSTEM, "count", STOCK_TONNES, "inventaire de début de saison (démo)")
    km = sum(len(d.points) for d in drafts)
    return [
        f"demo winter circuits: {len(drafts)} P1 circuits from Divia's shapes ({km} points), "
        f"assigned to {len(vehicles)} winter vehicles; salt stock {STOCK_TONNES:.0f} t"
    ]
