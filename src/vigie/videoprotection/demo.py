"""The Dijon demo's cameras grouped into video-protection systems (sites).

A commune's cameras make one authorised system, as small communes declare them;
Dijon's 200 are split into sectors of a few hundred metres (the city centre,
its squares and its tram corridor are authorised piecemeal over the years).
Each sector takes the name of the nearest tram or bus stop (Dijon's open data,
when ``VIGIE_OPEN_DATA_DIR`` has it), its authorisation is the oldest of its
cameras' (``authorisationDate`` in the demo fleet), and its retention the
longest of theirs. Which cameras overlook dwellings is drawn (about one in
five), with masks in place, so that the demo starts compliant except for
authorisations that expire, as they do.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from vigie.assets.storage import AssetRow
from vigie.db import utcnow
from vigie.runtime import Vigie
from vigie.videoprotection.domain import RETENTION_MAX_DAYS, add_years
from vigie.videoprotection.storage import VideoCameraRow, VideoSiteRow

DEMO_PREFIX = "demo:"
CELL_M = 600  # Dijon's sectors: cameras within about 600 m share a system
SEED = 2118
M_PER_DEG = 111_320.0
STOP_FILES = ("dijon/opendata/arrets-tram.geojson", "dijon/opendata/arrets_bus_divia.geojson")
PURPOSES_CENTRE = ["public_buildings", "crime_prevention", "traffic_regulation"]
PURPOSES_COMMUNE = ["public_buildings", "crime_prevention"]


def _stops(root: Path) -> list[tuple[float, float, str]]:
    out: list[tuple[float, float, str]] = []
    for name in STOP_FILES:
        path = root / name
        if not path.is_file():
            continue
        for f in json.loads(path.read_text(encoding="utf-8")).get("features", []):
            try:
                long, lat = f["geometry"]["coordinates"][:2]
                out.append((float(lat), float(long), str(f["properties"]["nom"])))
            except (KeyError, TypeError, ValueError):
                continue
    return out


def _nearest(stops: list[tuple[float, float, str]], lat: float, long: float) -> str | None:
    if not stops:
        return None
    k = math.cos(math.radians(lat))
    return min(stops, key=lambda s: (s[0] - lat) ** 2 + ((s[1] - long) * k) ** 2)[2]


def group_cameras(
    cameras: list[tuple[str, str, float, float]], big_zone: str
) -> dict[tuple[str, int, int], list[str]]:
    """(zone, cell row, cell column) -> camera ids: one group per commune, Dijon by 600 m cells."""
    groups: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for asset_id, zone, lat, long in cameras:
        if zone == big_zone:
            k = math.cos(math.radians(lat))
            key = (zone, int(lat * M_PER_DEG // CELL_M), int(long * M_PER_DEG * k // CELL_M))
        else:
            key = (zone, 0, 0)
        groups[key].append(asset_id)
    return groups


def load_demo_sites(v: Vigie) -> list[str]:
    """Write the demo's sites and their cameras' records (once: skipped if already there)."""
    with v.db.session() as s:
        if s.scalar(select(VideoSiteRow.id).where(VideoSiteRow.external_id.like(f"{DEMO_PREFIX}%")).limit(1)):
            return ["video protection: demo sites already loaded"]
        rows = list(
            s.execute(
                select(AssetRow.id, AssetRow.zone, AssetRow.lat, AssetRow.long, AssetRow.attributes).where(
                    AssetRow.type == "camera", AssetRow.lat.is_not(None)
                )
            )
        )
    if not rows:
        return ["video protection: no camera in the registry, no demo site"]
    attrs = {r.id: r.attributes or {} for r in rows}
    where = {r.id: (r.lat, r.long) for r in rows}
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r.zone] += 1
    big = max(counts, key=lambda z: counts[z])
    groups = group_cameras([(r.id, r.zone, r.lat, r.long) for r in rows], big)
    stops = _stops(v.settings.open_data_dir)
    rng = random.Random(SEED)
    zones = v.city.zones.by_code
    now = utcnow()
    used: dict[str, int] = defaultdict(int)
    with v.db.session(write=True) as s:
        for n, (key, ids) in enumerate(sorted(groups.items()), start=1):
            zone = key[0]
            commune = zones[zone].name if zone in zones else zone
            lat = sum(where[i][0] for i in ids) / len(ids)
            long = sum(where[i][1] for i in ids) / len(ids)
            place = _nearest(stops, lat, long) if zone == big else None
            name = f"Secteur {place}" if place else f"{commune} — vidéoprotection communale"
            used[name] += 1
            if used[name] > 1:
                name = f"{name} ({used[name]})"
            dates = sorted(d for i in ids if (d := attrs[i].get("authorisationDate")))
            authorised = date.fromisoformat(dates[0]) if dates else date(2023, 1, 15)
            reference = (
                next(
                    (
                        attrs[i].get("authorisationReference")
                        for i in ids
                        if attrs[i].get("authorisationDate") == dates[0]
                    ),
                    None,
                )
                if dates
                else None
            )
            retention = max((int(attrs[i].get("retentionDays") or 15) for i in ids), default=15)
            site = VideoSiteRow(
                code=f"DIJ-VP-{n:03d}",
                name=name[:200],
                zone=zone,
                address=f"{place}, {commune}" if place else commune,
                lat=round(lat, 6),
                long=round(long, 6),
                in_service_on=authorised + timedelta(days=rng.randint(20, 90)),
                authorisation_number=str(reference or f"AP-{authorised.year}-{n:04d}"),
                authorisation_date=authorised,
                authorisation_expiry=add_years(authorised, 5),
                purposes=PURPOSES_CENTRE if zone == big else PURPOSES_COMMUNE,
                retention_days=min(retention, RETENTION_MAX_DAYS),
                responsible_name="Chef de service de la police municipale",
                responsible_service=f"Police municipale — {commune}",
                access_contact=f"Mairie de {commune}, service de la police municipale",
                commission_opinion="favourable",
                commission_date=authorised - timedelta(days=rng.randint(20, 60)),
                external_id=f"{DEMO_PREFIX}{zone}:{key[1]}:{key[2]}",
                created_at=now,
                updated_at=now,
            )
            s.add(site)
            s.flush()
            for i in ids:
                overlooks = rng.random() < 0.2
                s.add(
                    VideoCameraRow(
                        asset_id=i,
                        site_id=site.id,
                        overlooks_private=overlooks,
                        privacy_masks=bool(attrs[i].get("privacyMasking", overlooks)),
                        signage=bool(attrs[i].get("signage", True)),
                        updated_at=now,
                    )
                )
        s.commit()
    return [f"video protection: {len(groups)} sites for {len(rows)} cameras"]


__all__ = ["load_demo_sites", "group_cameras"]
