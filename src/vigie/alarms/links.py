"""Where alarms and residents' reports meet.

A link says "this report is explained by that alarm on that asset". It is made
both ways (alarm raised near open reports; report filed near an active alarm).
The alarm side is written here; the report's history entry is written by the
reports context, which hears ``AlarmLinked`` in the same transaction. When no
linked alarm is active any more, the report is resolved through the reports use
case, which queues the message to the reporter in the same transaction.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigie.accounts.domain import SYSTEM
from vigie.alarms.rules import LinkSpec, Rule
from vigie.alarms.storage import AlarmEventRow, AlarmReportLinkRow, AlarmRow
from vigie.db import utcnow
from vigie.errors import VigieError
from vigie.events.changes import AlarmLinked
from vigie.events.domain import DomainEvent
from vigie.reports.lookups import CLOSED_VALUES, open_reports_in_box, report_in, reports_in
from vigie.reports.queries import M_PER_DEG_LAT, distance_m
from vigie.runtime import Vigie

if TYPE_CHECKING:
    from vigie.reports.storage import ReportRow

log = logging.getLogger(__name__)
MAX_LINKS = 50

LINK_NOTE = {
    "fr": "Ce signalement correspond à une panne détectée automatiquement sur l'équipement "
    "{asset} ; elle est suivie par nos équipes.",
    "en": "This report matches a failure detected automatically on equipment {asset}; our teams are on it.",
}
RESOLVED_NOTE = {
    "fr": "L'équipement {asset} fonctionne de nouveau : le problème que vous avez signalé est "
    "résolu. Merci pour votre signalement.",
    "en": "Equipment {asset} works again: the problem you reported is fixed. Thank you for your report.",
}


def _box(lat: float, long: float, r: float) -> tuple[float, float, float, float]:
    dlat = r / M_PER_DEG_LAT
    dlong = r / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, long - dlong, long + dlong


def links_of(s: Session, alarm_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i in range(0, len(alarm_ids), 500):
        q = select(AlarmReportLinkRow.alarm_id, AlarmReportLinkRow.report_id).where(
            AlarmReportLinkRow.alarm_id.in_(alarm_ids[i : i + 500])
        )
        for alarm_id, report_id in s.execute(q.order_by(AlarmReportLinkRow.id)):
            out.setdefault(alarm_id, []).append(report_id)
    return out


def _add_link(
    v: Vigie, s: Session, alarm: AlarmRow, report: ReportRow, distance: float, now: datetime
) -> None:
    s.add(
        AlarmReportLinkRow(
            alarm_id=alarm.id,
            report_id=report.id,
            asset_id=alarm.asset_id,
            distance_m=distance,
            linked_at=now,
        )
    )
    # The report's public history entry (the caller publishes ``report.updated``).
    v.messages.stage(
        s,
        AlarmLinked(
            report_id=report.id,
            alarm_id=alarm.id,
            asset_id=alarm.asset_id,
            at=now,
            public_notes={lang: note.format(asset=alarm.asset_id) for lang, note in LINK_NOTE.items()},
            internal_note=f"Lié à l'alarme n° {alarm.id} ({alarm.title}) sur {alarm.asset_id}, "
            f"à {distance:.0f} m",
            detail={"alarm_id": str(alarm.id), "asset_id": alarm.asset_id},
        ),
    )
    s.add(
        AlarmEventRow(
            alarm_id=alarm.id,
            kind="report_linked",
            actor_label=SYSTEM.label,
            detail={"report_id": report.id, "distance_m": round(distance, 1)},
            at=now,
        )
    )


def link_alarm_to_reports(v: Vigie, s: Session, alarm: AlarmRow, spec: LinkSpec, now: datetime) -> list[int]:
    """An alarm was just raised: link the open reports it explains nearby."""
    if alarm.lat is None or alarm.long is None:
        return []
    box = _box(alarm.lat, alarm.long, spec.radius_m)
    found = []
    for report in open_reports_in_box(s, box, spec.services, spec.groups):
        d = distance_m(alarm.lat, alarm.long, report.lat or 0.0, report.long or 0.0)
        if d <= spec.radius_m:
            found.append((d, report))
    found.sort(key=lambda t: t[0])
    for d, report in found[:MAX_LINKS]:
        _add_link(v, s, alarm, report, d, now)
    return [r.id for _, r in found[:MAX_LINKS]]


def report_link_specs(rules: list[Rule]) -> dict[str, LinkSpec]:
    return {r.id: r.link for r in rules if r.link is not None}


def link_report_to_alarms(
    v: Vigie, s: Session, report_id: int, specs: dict[str, LinkSpec], now: datetime
) -> list[int]:
    """A report was just filed: link it to the active alarms nearby that explain it."""
    report = report_in(s, report_id)
    if report is None or report.lat is None or report.long is None:
        return []
    if report.status in CLOSED_VALUES:
        return []
    wanted = {t: spec for t, spec in specs.items() if spec.matches(report.service_code, report.service_group)}
    if not wanted:
        return []
    radius = max(spec.radius_m for spec in wanted.values())
    lat0, lat1, long0, long1 = _box(report.lat, report.long, radius)
    A = AlarmRow
    q = (
        select(A)
        .where(
            A.active,
            A.type.in_(sorted(wanted)),
            A.lat.between(lat0, lat1),
            A.long.between(long0, long1),
        )
        .limit(500)
    )
    already = set(
        s.scalars(select(AlarmReportLinkRow.alarm_id).where(AlarmReportLinkRow.report_id == report_id))
    )
    found = []
    for alarm in s.scalars(q):
        d = distance_m(report.lat, report.long, alarm.lat or 0.0, alarm.long or 0.0)
        if d <= wanted[alarm.type].radius_m and alarm.id not in already:
            found.append((d, alarm))
    found.sort(key=lambda t: t[0])
    for d, alarm in found[:MAX_LINKS]:
        _add_link(v, s, alarm, report, d, now)
    return [a.id for _, a in found[:MAX_LINKS]]


def resolve_linked(v: Vigie, alarm_ids: list[int]) -> list[int]:
    """Resolve the open reports linked to these (cleared) alarms when nothing else explains them.

    Returns the reports resolved. Each goes through ``do_change_status`` as the
    platform, so history, audit, events and the reporter's e-mail follow.
    """
    from vigie.reports.actions import do_change_status

    if not alarm_ids:
        return []
    with v.db.session() as s:
        L, A = AlarmReportLinkRow, AlarmRow
        pairs = list(
            s.execute(
                select(L.report_id, L.asset_id)
                .where(L.alarm_id.in_(alarm_ids), L.resolved_at.is_(None))
                .order_by(L.report_id)
            )
        )
        report_ids = sorted({rid for rid, _ in pairs})
        still = set()
        if report_ids:
            still = set(
                s.scalars(
                    select(L.report_id)
                    .join(A, A.id == L.alarm_id)
                    .where(L.report_id.in_(report_ids), A.active)
                    .group_by(L.report_id)
                    .having(func.count() > 0)
                )
            )
        reports = {r.id: r for r in reports_in(s, report_ids)}
    assets = dict(pairs)
    resolved = []
    for rid in report_ids:
        report = reports.get(rid)
        if report is None or rid in still or report.status in CLOSED_VALUES:
            continue
        lang = report.reporter_lang if report.reporter_lang in RESOLVED_NOTE else "fr"
        try:
            do_change_status(
                v, rid, SYSTEM, "resolved", public_note=RESOLVED_NOTE[lang].format(asset=assets[rid])
            )
        except VigieError as exc:
            log.warning("could not resolve report %s linked to a cleared alarm: %s", rid, exc)
            continue
        resolved.append(rid)
    if resolved:
        now = utcnow()
        with v.db.session(write=True) as s:
            for link in s.scalars(
                select(AlarmReportLinkRow).where(
                    AlarmReportLinkRow.alarm_id.in_(alarm_ids),
                    AlarmReportLinkRow.report_id.in_(resolved),
                )
            ):
                link.resolved_at = now
                s.add(
                    AlarmEventRow(
                        alarm_id=link.alarm_id,
                        kind="report_resolved",
                        actor_label=SYSTEM.label,
                        detail={"report_id": link.report_id},
                        at=now,
                    )
                )
            s.commit()
    return resolved


def linked_reports_changed(v: Vigie, s: Session, report_ids: list[int]) -> list[DomainEvent]:
    """The ``report.updated`` events of reports just linked (read in ``s``, after its commit)."""
    from vigie.reports.actions import report_event

    if not report_ids:
        return []
    rows = reports_in(s, report_ids)
    return [report_event(v, "report.updated", row, public={"change": "report.alarm_link"}) for row in rows]
