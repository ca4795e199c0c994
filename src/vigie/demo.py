"""The Dijon demo: agent accounts (one per role), an API key and a living history.

Idempotent: accounts, key and reports are created once; running it again
changes nothing. Demo accounts exist only here, flagged ``demo`` in the
database, and the command refuses to run in production.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from rich.progress import Progress
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigie.accounts.actions import do_add_user, do_create_api_key
from vigie.accounts.storage import ApiKeyRow, UserRow
from vigie.db import utcnow
from vigie.errors import Forbidden
from vigie.reports.domain import Status
from vigie.reports.intake import Submission, check_submission, do_create_reports
from vigie.reports.storage import ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.triage.demo import demo_text

DEMO_PASSWORD = "vigie-demo-2026"  # noqa: S105 - public on purpose: demo only, refused in production
DEMO_ACCOUNTS = [
    ("operateur@demo.vigie.example", "operator", "Olivia Opératrice", ""),
    ("superviseur@demo.vigie.example", "supervisor", "Samir Superviseur", ""),
    ("terrain@demo.vigie.example", "field_agent", "Fanny Terrain", "voirie-sud"),
    ("admin@demo.vigie.example", "admin", "Adam Admin", ""),
    ("video@demo.vigie.example", "video_operator", "Victor Vidéo", ""),
    ("extractions@demo.vigie.example", "video_registrar", "Rachel Registre", ""),
]
DEMO_KEY_NAME = "demo (Dijon)"
DEMO_REPORTS = 2000
SEED = 21231

# Where people report: weight communes by rough population so Dijon dominates.
ZONE_WEIGHTS = {
    "21231": 16,
    "21166": 1.4,
    "21617": 1.1,
    "21171": 1.1,
    "21515": 1,
    "21355": 1,
    "21540": 0.7,
    "21278": 0.8,
    "21390": 0.5,
}


DIJON = "dijon"  # the profile whose real data the demo holds


def load_demo(v: Vigie, progress: bool = False, reports: int = DEMO_REPORTS) -> list[str]:
    if v.settings.environment == "production":
        raise Forbidden("the demo cannot be loaded in production (demo accounts have a public password)")
    lines: list[str] = []
    with v.db.session() as s:
        existing = set(s.scalars(select(UserRow.email)))
        has_key = s.scalar(select(ApiKeyRow.id).where(ApiKeyRow.name == DEMO_KEY_NAME)) is not None
    for email, role, name, team in DEMO_ACCOUNTS:
        if email not in existing:
            do_add_user(v.db, email, role, DEMO_PASSWORD, name=name, team=team, demo=True)
    if not has_key:
        key = do_create_api_key(v.db, DEMO_KEY_NAME)
        lines.append(f"Open311 API key for the demo: {key}")
    else:
        lines.append(
            "Open311 demo key created earlier (keys are shown once); "
            "make another with: vigie apikey create --name NAME"
        )
    if v.city.id != DIJON:
        # The rest is Dijon's own data (its shops' addresses, Divia's network, its places,
        # light points, cameras, open data): in another city it would be wrong, and outside it.
        created = _demo_reports(v, reports, progress)
        lines.append(f"demo reports: {created} created")
        lines.append(
            f"{v.city.name}: Dijon's own data (addresses, public transport, places, assets, "
            "open data) is loaded only with the dijon profile"
        )
        return lines + _accounts_lines()
    from vigie.assets.demo import load_demo_fleet

    lines += load_demo_fleet(v, progress)
    from vigie.lighting.demo import load_demo_lighting

    lines += load_demo_lighting(v)
    from vigie.videoprotection.demo import load_demo_sites

    lines += load_demo_sites(v)
    from vigie.traffic.demo import load_demo_traffic
    from vigie.winter.demo import load_demo_winter

    lines += load_demo_traffic(v)
    lines += load_demo_winter(v)
    from vigie.addresses.demo import load_demo_gazetteer

    lines += load_demo_gazetteer(v, progress)
    from vigie.assets.demo_streets import name_demo_lights

    lines += name_demo_lights(v)  # each light point named after its street (the gazetteer's)
    from vigie.transport.demo import load_demo_timetable

    lines += load_demo_timetable(v, progress)
    from vigie.places.demo import load_demo_places

    lines += load_demo_places(v, progress)
    created = _demo_reports(v, reports, progress)
    lines.append(f"demo reports: {created} created")
    from vigie.opendata.demo import load_demo_opendata

    # The supervisor publishes; the administrator and the supervisor sit on the ethics committee.
    lines += load_demo_opendata(v, DEMO_ACCOUNTS[1][0], [DEMO_ACCOUNTS[3][0], DEMO_ACCOUNTS[1][0]])
    return lines + _accounts_lines()


def _accounts_lines() -> list[str]:
    return ["demo accounts (password: " + DEMO_PASSWORD + "):"] + [
        f"  {role:<12} {email}" for email, role, _, _ in DEMO_ACCOUNTS
    ]


def _demo_reports(v: Vigie, count: int, progress: bool) -> int:
    with v.db.session() as s:
        done = (
            s.scalar(select(func.count()).select_from(ReportRow).where(ReportRow.external_id.like("demo-%")))
            or 0
        )
    if done >= count:
        return 0
    rng = random.Random(SEED)
    zones = v.city.zones
    codes = zones.codes()
    weights = [ZONE_WEIGHTS.get(c, 0.3) for c in codes]
    services = list(v.catalogue.services.values())
    now = utcnow()
    plan = []
    for n in range(count):
        zone = zones.by_code[rng.choices(codes, weights)[0]]
        minx, miny, maxx, maxy = zone.geometry.bounds
        while True:
            lat, long = rng.uniform(miny, maxy), rng.uniform(minx, maxx)
            if zone.contains(lat, long):
                break
        service = rng.choice(services)
        age = timedelta(days=90 * rng.random() ** 1.6, minutes=rng.randint(0, 600))
        plan.append((n, service, lat, long, now - age))
    plan.sort(key=lambda p: p[4])
    created = 0
    agents = _agent_ids(v)
    bar = Progress(transient=False, disable=not progress)
    with bar:
        task = bar.add_task(f"{v.city.name}: demo reports", total=count)
        for start in range(0, count, 250):
            chunk = plan[start : start + 250]
            wanted = [f"demo-{n}" for n, *_ in chunk]
            with v.db.session() as s:
                taken = select(ReportRow.external_id).where(ReportRow.external_id.in_(wanted))
                present = set(s.scalars(taken))
            batch = []
            for n, service, lat, long, when in chunk:
                ext = f"demo-{n}"
                if ext in present:
                    continue
                attrs = _attributes(service, rng)
                channel = rng.choice(["app", "app", "app", "web", "phone", "email"])
                sub = Submission(
                    service_code=service.code,
                    # Agents' own services come from agents (here: a call to the desk).
                    channel="phone" if service.agents_only and channel in ("app", "web") else channel,
                    # Generated from the catalogue (vigie.triage.demo): the history triage learns from.
                    description=demo_text(service, rng),
                    lat=round(lat, 6),
                    long=round(long, 6),
                    attributes=attrs,
                    external_id=ext,
                    requested_at=when,
                )
                batch.append(check_submission(v, sub))
            ids = do_create_reports(v, batch).ids
            # Then each walks its lifecycle, as the control room would have moved it.
            with v.db.session(write=True) as s:
                for row in s.scalars(select(ReportRow).where(ReportRow.id.in_(ids)).order_by(ReportRow.id)):
                    _advance(s, row, rng, agents, now)
                s.commit()
            created += len(ids)
            bar.update(task, advance=min(250, count - start))
    return created


def _agent_ids(v: Vigie) -> dict[str, int]:
    with v.db.session() as s:
        return {u.role: u.id for u in s.scalars(select(UserRow).where(UserRow.demo.is_(True)))}


def _attributes(service, rng: random.Random) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out: dict[str, object] = {}
    for a in service.attributes:
        if not a.required and rng.random() < 0.5:
            continue
        if a.datatype.value == "singlevaluelist":
            out[a.code] = rng.choice(a.values).key
        elif a.datatype.value == "multivaluelist":
            out[a.code] = [rng.choice(a.values).key]
        elif a.datatype.value == "number":
            out[a.code] = rng.randint(1, 10)
        elif a.datatype.value == "datetime":
            out[a.code] = (utcnow() - timedelta(days=rng.randint(1, 10))).replace(microsecond=0).isoformat()
        else:
            out[a.code] = "Voir description"
    return out


def _advance(s: Session, row: ReportRow, rng: random.Random, agents: dict[str, int], now) -> None:  # type: ignore[no-untyped-def]
    """Walk an older report along its lifecycle, as the control room would have."""
    age_h = (now - row.requested_at).total_seconds() / 3600
    path: list[tuple[str, float, str]] = []
    t = 0.0
    steps: list[Callable[[], tuple[Status, float, str]]] = [
        lambda: (
            Status.ACKNOWLEDGED,
            rng.uniform(0.2, 20),
            "Votre signalement a bien été pris en compte.",
        ),
        lambda: (Status.ASSIGNED, rng.uniform(1, 48), "Une équipe a été missionnée."),
        lambda: (Status.IN_PROGRESS, rng.uniform(2, 96), ""),
        lambda: (
            Status.RESOLVED,
            rng.uniform(1, 120),
            "L'intervention a été réalisée. Merci de votre signalement.",
        ),
    ]
    for step in steps:
        next_status, delay, note = step()
        if t + delay > age_h or rng.random() < 0.08:
            break
        t += delay
        path.append((next_status.value, t, note))
    if path and path[-1][0] == Status.ACKNOWLEDGED and rng.random() < 0.1:
        path.append((Status.REJECTED.value, t + 1, "Ce lieu ne relève pas du domaine public."))
    previous = row.status
    for status, hours, note in path:
        at = row.requested_at + timedelta(hours=hours)
        s.add(
            ReportUpdateRow(
                report_id=row.id,
                kind="status",
                status=status,
                previous_status=previous,
                actor_user_id=agents.get("operator"),
                actor_label="demo",
                public_note=note,
                at=at,
            )
        )
        previous = status
        row.status = status
        row.updated_at = at
        if note:
            row.status_notes = note
        if status == Status.ACKNOWLEDGED:
            row.acknowledged_at = at
        if status == Status.ASSIGNED and row.team == "voirie-sud":
            row.assigned_user_id = agents.get("field_agent")
        if status in (Status.RESOLVED, Status.REJECTED):
            row.closed_at = at
            if status == Status.REJECTED:
                row.reject_reason = note
