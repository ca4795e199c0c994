"""The Dijon demo's winter service: P1, P2 and P3 circuits from Divia's network, assigned to
the winter vehicles of the demo fleet, and a first salt stock count.

Every circuit is a real Divia shape (a bus or tram route's line); its tier is derived from
the kind of line (see docs/winter.md): the trams and the frequent trunk lines first (P1),
the other urban lines next (P2), school, night and service runs last (P3).
"""

from __future__ import annotations

from sqlalchemy import func, select

from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import AssetFilter, list_assets
from vigie.runtime import Vigie
from vigie.transport.gtfs import Route
from vigie.winter.actions import assign_round_robin, circuits_from_gtfs, do_create_circuits, do_record_salt
from vigie.winter.domain import Tier
from vigie.winter.storage import CircuitRow

FEED = "dijon/divia_gtfs"
STOCK_TONNES = 2500.0  # an illustrative first count for the Métropole's depots


# Divia's trunk network: the trams, the Lianes (L3…L9), the Corol ring, the city-centre shuttle
# and the Port-du-Canal line; the numbered lines 10-45 are the other urban lines.
P1_LINES = {"CO", "CITY", "PL"}
P2_LINES = range(10, 46)


def divia_tier(route: Route) -> Tier:
    name = route.short_name.strip().upper()
    if route.kind == "tram" or name in P1_LINES or (name[:1] == "L" and name[1:].isdigit()):
        return Tier.P1
    if name.isdigit() and int(name) in P2_LINES:
        return Tier.P2
    return Tier.P3  # school lines (61-75), night, staff and service runs


def load_demo_winter(v: Vigie) -> list[str]:
    feed = v.settings.open_data_dir / FEED
    with v.db.session() as s:
        if s.scalar(select(func.count()).select_from(CircuitRow)):
            return ["demo winter circuits: already present"]
    if not feed.is_dir():
        return [f"demo winter circuits: skipped ({feed} not found)"]
    rows, _ = list_assets(v, AssetFilter(types=["vehicle"]), page_size=1000)
    vehicles = [r.id for r in rows if r.attributes.get("vehicleRole") in ("snow_plough", "salt_spreader")]
    # P1 dealt out first: each vehicle's first circuit (the one it drives first) is its best tier.
    drafts = sorted(circuits_from_gtfs(feed, divia_tier), key=lambda d: (d.tier.value, d.code))
    assign_round_robin(drafts, vehicles)
    do_create_circuits(v, SYSTEM, drafts)
    do_record_salt(v, SYSTEM, "count", STOCK_TONNES, "inventaire de début de saison (démo)")
    per_tier = {t.value: sum(1 for d in drafts if d.tier == t) for t in Tier}
    tiers = ", ".join(f"{n} {t}" for t, n in per_tier.items())
    return [
        f"demo winter circuits: {len(drafts)} circuits from Divia's shapes ({tiers}), "
        f"assigned to {len(vehicles)} winter vehicles; salt stock {STOCK_TONNES:.0f} t"
    ]
