"""Creating reports: the intake use cases of the reports context.

``check_submission`` validates a ``Submission`` and returns a ``CheckedSubmission``
(service, zone, attributes and treatment procedure resolved); ``do_submit_report``
writes it in one transaction and publishes ``report.created`` after it commits.
``insert_report`` adds a checked report to a caller's session (bulk import, demo).
``Idempotency`` and ``lookup_idempotent`` make a retried submission return the
first report. Changes to existing reports are in ``reports/actions.py``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Table, Text, bindparam, case, cast, func, insert, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.catalogue.domain import Procedure, Service
from vigie.city.zones import Zone
from vigie.db import Prepared, prepared_insert, utcnow
from vigie.errors import Conflict, ValidationFailed
from vigie.reports.actions import get_report, report_event, resident_lang
from vigie.reports.domain import (
    CLOSED,
    RESIDENT_CHANNELS,
    Channel,
    Status,
    check_attributes,
    check_coordinates,
    check_description,
    expected_datetime,
)
from vigie.reports.storage import IdempotencyRow, PhotoRow, ReportRow, ReportUpdateRow
from vigie.runtime import Vigie
from vigie.sqljson import lit

if TYPE_CHECKING:  # Pillow is imported only where photos are processed
    from vigie.photos.processing import ProcessedPhoto


@dataclass
class Submission:
    service_code: str
    channel: Channel | str
    description: str = ""
    lat: Any = None
    long: Any = None
    address: str = ""
    address_id: str = ""  # an id of the gazetteer (Open311 address_id)
    attributes: dict[str, Any] = field(default_factory=dict)
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    reporter_lang: str = ""
    device_id: str = ""
    account_id: str = ""
    # Links to media hosted elsewhere (Open311 media_url); kept on the creation entry.
    media_urls: list[str] = field(default_factory=list)
    # Only importers set these: history keeps its own dates and state.
    external_id: str | None = None
    requested_at: datetime | None = None
    status: str | None = None
    closed_at: datetime | None = None
    status_notes: str = ""


@dataclass
class CheckedSubmission:
    sub: Submission
    service: Service
    lat: float | None
    long: float | None
    zone: str
    attributes: dict[str, Any]
    description: str
    procedure: Procedure
    channel: Channel
    address: str = ""  # typed, or found from the point (reverse geocoding)
    address_id: str = ""


@dataclass
class Idempotency:
    scope: str
    key: str
    fingerprint: str

    @staticmethod
    def fingerprint_of(*parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _fold(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c)).replace("-", " ")


def check_submission(v: Vigie, sub: Submission) -> CheckedSubmission:
    code = (sub.service_code or "").strip()
    if not code:
        raise ValidationFailed("service_code is required", field="service_code")
    service = v.catalogue.service(code)
    if service is None:
        raise ValidationFailed(f"unknown service_code '{code}'", field="service_code")
    try:
        channel = Channel(sub.channel)
    except ValueError:
        raise ValidationFailed(f"unknown channel '{sub.channel}'", field="channel") from None
    if service.agents_only and channel in RESIDENT_CHANNELS:
        # Answered like an unknown code: residents' clients never learn these services exist.
        raise ValidationFailed(f"unknown service_code '{code}'", field="service_code")
    description = check_description(sub.description)
    address = (sub.address or "").strip()
    if len(address) > 512:
        raise ValidationFailed("address is longer than 512 characters", field="address_string")
    point = check_coordinates(sub.lat, sub.long)
    point, address, address_id, zone = _place(v, point, address, (sub.address_id or "").strip())
    attributes = check_attributes(service, sub.attributes or {})
    for name, limit in (
        ("reporter_name", 200),
        ("reporter_phone", 40),
        ("device_id", 128),
        ("account_id", 128),
    ):
        if len(getattr(sub, name) or "") > limit:
            raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
    if sub.reporter_email:
        from vigie.accounts.actions import check_email

        sub.reporter_email = check_email(sub.reporter_email)
    procedure = v.catalogue.resolve(service.code, zone.code, attributes)
    return CheckedSubmission(
        sub=sub,
        service=service,
        lat=point[0] if point else None,
        long=point[1] if point else None,
        zone=zone.code,
        attributes=attributes,
        description=description,
        procedure=procedure,
        channel=channel,
        address=address,
        address_id=address_id,
    )


def _place(
    v: Vigie, point: tuple[float, float] | None, address: str, address_id: str
) -> tuple[tuple[float, float] | None, str, str, Zone]:
    """(point, address, address id, zone) of a report.

    An ``address_id`` of the gazetteer gives the point and the address; an
    address typed without a point is geocoded inside the city's zones (else a
    commune named in it places the report in that zone, without a point); a
    point without an address gets the address or street under it.
    """
    from vigie.addresses.placing import address_at, place_of_id, place_of_text

    zones = v.city.zones
    if point is None and address_id:
        placed = place_of_id(v, address_id)
        point = (placed.lat, placed.lon)
        address, address_id = address or placed.label, placed.address_id
    elif point is None and address:
        found = place_of_text(v, address)
        if found is not None:
            point, address_id = (found.lat, found.lon), found.address_id
    elif address_id:
        address_id = place_of_id(v, address_id).address_id
    if point is not None:
        zone = zones.locate(*point)
        if zone is None:
            raise ValidationFailed(
                f"this location is outside {v.city.name}; reports are accepted only within its zones",
                field="lat",
            )
        if not address:
            near = address_at(v, *point)
            if near is not None:
                address, address_id = near.label, near.id
        return point, address, address_id, zone
    if not address:
        raise ValidationFailed("a location is required: lat and long, or an address", field="lat")
    folded = _fold(address)
    # Longest names first: "Neuilly-Crimolois" before a shorter name it contains.
    matches = [z for z in sorted(zones.zones, key=lambda z: -len(z.name)) if _fold(z.name) in folded]
    if not matches:
        raise ValidationFailed(
            f"cannot place this address in a zone of {v.city.name}; "
            "give lat and long, or include the commune (zone) name",
            field="address_string",
        )
    return None, address, address_id, matches[0]


# Channels an agent types in on a resident's behalf (a call, an e-mail received).
ON_BEHALF_CHANNELS = frozenset({Channel.PHONE, Channel.EMAIL})


def check_filer(agent: Agent | None, channel: Channel) -> None:
    """An agent files on a resident's behalf only with ``reports.intake``.

    Checked here, not only on the intake page, so that every adapter (the API
    above all) is held to it. Without an agent the caller is the resident or the
    platform itself; which channels an anonymous client may claim is the
    adapter's input rule.
    """
    if agent is not None and channel in ON_BEHALF_CHANNELS:
        require(agent, "reports.intake")


def lookup_idempotent(v: Vigie, idem: Idempotency) -> int | None:
    with v.db.session() as s:
        row = s.scalar(
            select(IdempotencyRow).where(IdempotencyRow.scope == idem.scope, IdempotencyRow.key == idem.key)
        )
    if row is None:
        return None
    if row.fingerprint != idem.fingerprint:
        raise ValidationFailed(
            "this Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return int(json.loads(row.body)["report_id"])


def do_submit_report(
    v: Vigie,
    checked: CheckedSubmission,
    photos: list[ProcessedPhoto] | None = None,
    idempotency: Idempotency | None = None,
    agent: Agent | None = None,
) -> tuple[ReportRow, bool]:
    """Create a report. Returns (report, created).

    A replayed idempotent request returns the first report and creates nothing.
    """
    check_filer(agent, checked.channel)
    if idempotency:
        existing = lookup_idempotent(v, idempotency)
        if existing is not None:
            return get_report(v, existing), False
    sub = checked.sub
    now = utcnow()
    photo_keys: list[str] = []
    for p in photos or []:
        key = uuid.uuid4().hex
        v.photos.put(key, p.data, p.content_type)
        v.photos.put(key + "_t", p.thumbnail, "image/jpeg")
        photo_keys.append(key)

    def unit(s: Session) -> tuple[ReportRow, list[PhotoRow]]:
        row = _write_report(v, s, checked, agent)
        photo_rows = [
            PhotoRow(
                report_id=row.id,
                key=key,
                kind="report",
                content_type=p.content_type,
                width=p.width,
                height=p.height,
                size=len(p.data),
                created_at=now,
            )
            for key, p in zip(photo_keys, photos or [], strict=True)
        ]
        s.add_all(photo_rows)
        if idempotency:
            s.add(
                IdempotencyRow(
                    scope=idempotency.scope,
                    key=idempotency.key,
                    fingerprint=idempotency.fingerprint,
                    status_code=201,
                    body=json.dumps({"report_id": row.id}),
                    content_type="application/json",
                    created_at=now,
                )
            )
        if agent:
            do_audit(s, agent, "report.create", "report", str(row.id), {"channel": row.channel})
        from vigie.notifications.actions import on_report_created

        on_report_created(v, s, row)
        s.flush()
        return row, photo_rows

    published = False
    try:
        plain = None
        # Photo rows, an idempotency record or an agent's audit row must commit with the
        # report: those keep the transaction. So does a report with a message to queue.
        if not photos and idempotency is None and agent is None and v.db.dialect == "postgresql":
            plain = _submit_in_one_statement(v, checked)
        photo_rows: list[PhotoRow] = []
        if plain is not None:
            row, published = plain
        else:
            row, photo_rows = v.db.write(unit)
    except IntegrityError:
        for key in photo_keys:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        if idempotency:
            # Lost a race with the same key: the winner's report is the answer.
            existing = lookup_idempotent(v, idempotency)
            if existing is not None:
                return get_report(v, existing), False
        if sub.external_id:
            raise Conflict(
                f"a report with external id '{sub.external_id}' exists", field="external_id"
            ) from None
        raise
    except BaseException:
        for key in photo_keys:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        raise
    # The committed row is complete: no need to read it back (intake speed).
    set_committed_value(row, "photos", photo_rows)
    if checked.channel != Channel.IMPORT:
        if not published:
            v.bus.publish([report_event(v, "report.created", row)])
        # A lighting report near a light in alarm is linked to it (never fails the report).
        from vigie.alarms.actions import on_report_created as link_alarms

        link_alarms(v, row.id, row.service_code, row.service_group)
    return row, True


# --- writing a new report -------------------------------------------------


def _new_report(
    v: Vigie, checked: CheckedSubmission, agent: Agent | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column values of a new report and of its first history entries (without ids)."""
    sub = checked.sub
    requested = sub.requested_at or utcnow()
    proc = checked.procedure
    status = Status(sub.status) if sub.status else Status.NEW
    values: dict[str, Any] = {
        "service_code": checked.service.code,
        "service_group": checked.service.group,
        "status": status.value,
        "public": checked.service.public,
        "description": checked.description,
        "lat": checked.lat,
        "long": checked.long,
        "address": checked.address,
        "address_id": checked.address_id,
        "zone": checked.zone,
        "attributes": checked.attributes,
        "channel": checked.channel.value,
        "priority": (proc.priority or checked.service.default_priority).value,
        "procedure_id": proc.id,
        "team": proc.team,
        "assigned_user_id": None,
        "reject_reason": "",
        "duplicate_of_id": None,
        "reporter_name": (sub.reporter_name or "").strip(),
        "reporter_email": sub.reporter_email or "",
        "reporter_phone": (sub.reporter_phone or "").strip(),
        "reporter_lang": resident_lang(v, sub.reporter_lang),
        "device_id": sub.device_id or "",
        "account_id": sub.account_id or "",
        "token": secrets.token_urlsafe(18),
        "external_id": sub.external_id,
        "requested_at": requested,
        "updated_at": sub.closed_at or requested,
        "expected_at": expected_datetime(
            requested,
            proc.sla.hours,
            proc.sla.business_hours,
            v.city.business_hours,
            v.city.timezone,
        ),
        "acknowledged_at": None,
        "closed_at": sub.closed_at if status in CLOSED else None,
        "status_notes": sub.status_notes or "",
    }
    history: list[dict[str, Any]] = [
        {
            "kind": "created",
            "status": Status.NEW.value,
            "previous_status": None,
            "actor_user_id": agent.id if agent else None,
            "actor_label": agent.label if agent else checked.channel.value,
            "public_note": "",
            "internal_note": "",
            "detail": {"media": list(sub.media_urls)} if sub.media_urls else {},
            "at": requested,
        }
    ]
    if status != Status.NEW:
        history.append(
            {
                "kind": "status",
                "status": status.value,
                "previous_status": Status.NEW.value,
                "actor_user_id": None,
                "actor_label": checked.channel.value,
                "public_note": sub.status_notes or "",
                "internal_note": "",
                "detail": {},
                "at": sub.closed_at or requested,
            }
        )
    return values, history


def _reference_prefix(v: Vigie, requested: datetime) -> str:
    return f"{v.city.reference_prefix}-{requested.astimezone(v.city.timezone).year}-"


def _reference(v: Vigie, report_id: int, requested: datetime) -> str:
    return f"{_reference_prefix(v, requested)}{report_id:06d}"


def insert_report(v: Vigie, s: Session, checked: CheckedSubmission, agent: Agent | None = None) -> ReportRow:
    """Add a checked report and its first history entries to ``s`` (flushed, not committed).

    The ORM way, for bulk import and the demo, which go on working on the row.
    """
    values, history = _new_report(v, checked, agent)
    row = ReportRow(**values)
    s.add(row)
    s.flush()
    row.reference = _reference(v, row.id, row.requested_at)
    s.add_all([ReportUpdateRow(report_id=row.id, **h) for h in history])
    return row


_REPORTS: Table = ReportRow.__table__  # type: ignore[assignment]
_UPDATES: Table = ReportUpdateRow.__table__  # type: ignore[assignment]
# Compiled once: the intake's statements run on the driver's cursor (vigie.db.Prepared).
_INSERT_REPORT = prepared_insert(
    _REPORTS, [c.key for c in _REPORTS.columns if c.key not in ("id", "reference")], returning="id"
)
_INSERT_UPDATE = prepared_insert(
    _UPDATES, [c.key for c in _UPDATES.columns if c.key != "id"]
)
_SET_REFERENCE = Prepared(
    update(_REPORTS).where(_REPORTS.c.id == bindparam("rid")).values(reference=bindparam("ref"))
)


_PG_INSERTS: dict[tuple[int, bool], Prepared] = {}
# A report's id is drawn by its INSERT, but the NOTIFY that announces it is written
# before: its event carries this number in the id's place (and in the reference's),
# and the statement puts the real ones in. Random per process, never shown: no
# submitted text can be written to contain it.
_ID_MARK = 10**15 + secrets.randbelow(9 * 10**15)


def _pg_insert(entries: int, notify: bool = False) -> Prepared:
    """PostgreSQL: the report, its reference and its first ``entries`` history rows in one statement.

    Each round trip to the server costs the driver more interpreter time than
    the insert costs the server: the id is drawn from the sequence first so that
    the reference can be written with the row, and the history rows are inserted
    from the same statement (data-modifying CTEs). With ``notify`` the statement
    also sends the event's NOTIFY, with the id and reference put in its text.
    """
    found = _PG_INSERTS.get((entries, notify))
    if found is not None:
        return found
    cols = [c for c in _REPORTS.columns if c.key not in ("id", "reference")]
    ucols = [c for c in _UPDATES.columns if c.key not in ("id", "report_id")]
    # Constants are written into the statement: Prepared binds only the named values.
    sequence = func.pg_get_serial_sequence(lit("reports"), lit("id"))
    nid = select(func.nextval(sequence).label("id")).cte("nid")
    number = cast(nid.c.id, Text)
    # f"{id:06d}": at least six digits (lpad alone would cut longer ones).
    digits = case((nid.c.id < lit(1_000_000), func.lpad(number, lit(6), lit("0"))), else_=number)
    reference = cast(bindparam("ref_prefix", type_=String), Text).concat(digits)
    report = select(nid.c.id, reference, *[bindparam(c.key, type_=c.type) for c in cols])
    ins = (
        insert(_REPORTS)
        .from_select(["id", "reference", *[c.key for c in cols]], report)
        .returning(_REPORTS.c.id, _REPORTS.c.reference)
        .cte("ins")
    )
    entry_rows = [
        select(ins.c.id, *[bindparam(f"h{i}_{c.key}", type_=c.type) for c in ucols]) for i in range(entries)
    ]
    rows = entry_rows[0] if entries == 1 else union_all(*entry_rows)
    # Data-modifying CTEs run to completion whether or not the main query reads them.
    history = insert(_UPDATES).from_select(["report_id", *[c.key for c in ucols]], rows).cte("hist")
    out: list[Any] = [ins.c.id]
    if notify:
        # The reference first: its mark contains the id's.
        event = bindparam("notify_event", type_=Text)
        text = func.replace(event, bindparam("notify_ref_mark", type_=Text), ins.c.reference)
        text = func.replace(text, bindparam("notify_id_mark", type_=Text), cast(ins.c.id, Text))
        out.append(func.pg_notify(bindparam("notify_channel", type_=Text), text))
    stmt = select(*out).select_from(ins).add_cte(nid).add_cte(ins).add_cte(history)
    found = _PG_INSERTS[(entries, notify)] = Prepared(stmt)
    return found


def _pg_params(v: Vigie, values: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    params = {**values, "ref_prefix": _reference_prefix(v, values["requested_at"])}
    for i, h in enumerate(history):
        params.update({f"h{i}_{k}": val for k, val in h.items()})
    return params


def _submit_in_one_statement(v: Vigie, checked: CheckedSubmission) -> tuple[ReportRow, bool] | None:
    """PostgreSQL: write a report that needs nothing else in one statement, outside a
    transaction block, its event's NOTIFY included. Returns (row, published), or None
    when the report needs more (a message to queue in the same transaction).

    A resident's plain report was four round trips (BEGIN, INSERT, COMMIT, then the
    NOTIFY on the bus's own connection); the driver's share of each is interpreter
    time that limited a server process to about 870 reports/s.
    """
    from vigie.notifications.actions import creation_announced

    values, history = _new_report(v, checked, None)
    requested = values["requested_at"]
    row = ReportRow(id=_ID_MARK, reference=_reference(v, _ID_MARK, requested), **values)
    set_committed_value(row, "photos", [])
    if creation_announced(v, row):
        return None
    params = _pg_params(v, values, history)
    notice = None
    if checked.channel != Channel.IMPORT:
        notice = v.bus.notification(report_event(v, "report.created", row))
    if notice is not None:
        params.update(
            notify_channel=notice[0],
            notify_event=notice[1],
            notify_ref_mark=row.reference,
            notify_id_mark=str(_ID_MARK),
        )
    with v.db.one_statement_connection() as conn:
        rid = _pg_insert(len(history), notify=notice is not None).execute(conn, params)
    set_committed_value(row, "id", rid)
    set_committed_value(row, "reference", _reference(v, rid, requested))
    return row, notice is not None


def _write_report(v: Vigie, s: Session, checked: CheckedSubmission, agent: Agent | None) -> ReportRow:
    """Insert a new report with plain statements in ``s``'s transaction.

    The interactive intake path: no unit of work (the ORM flush costs more than
    the SQL); three statements on SQLite, one on PostgreSQL. Returns the row as a
    detached object.
    """
    values, history = _new_report(v, checked, agent)
    conn = s.connection()
    requested = values["requested_at"]
    if conn.dialect.name == "postgresql" and history:
        rid = _pg_insert(len(history)).execute(conn, _pg_params(v, values, history))
        reference = _reference(v, rid, requested)
    else:
        rid = _INSERT_REPORT.execute(conn, values)
        reference = _reference(v, rid, requested)
        _SET_REFERENCE.execute(conn, {"rid": rid, "ref": reference})
        for h in history:
            _INSERT_UPDATE.execute(conn, {"report_id": rid, **h})
    row = ReportRow(id=rid, reference=reference, **values)
    set_committed_value(row, "photos", [])
    return row


__all__ = [
    "Submission",
    "CheckedSubmission",
    "Idempotency",
    "check_submission",
    "lookup_idempotent",
    "do_submit_report",
    "insert_report",
]
