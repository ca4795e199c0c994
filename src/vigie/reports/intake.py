"""Creating reports: the intake use cases of the reports context.

``check_submission`` validates a ``Submission`` and returns a ``CheckedSubmission``
(service, zone, attributes and treatment procedure resolved); ``do_create_reports``
writes one or a batch in one transaction and publishes ``report.created`` after it
commits: every adapter creates reports through it (``do_submit_report`` is its
one-submission form). The statements are in ``reports/inserts.py``.
``Idempotency`` and ``lookup_idempotent`` make a retried submission return the
first report. Changes to existing reports are in ``reports/actions.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vigie.accounts.actions import do_audit
from vigie.accounts.domain import Agent
from vigie.accounts.permissions import require
from vigie.catalogue.domain import Procedure, Service
from vigie.db import utcnow
from vigie.errors import Conflict, ValidationFailed
from vigie.events.changes import ReportCreated
from vigie.reports import inserts
from vigie.reports.actions import get_report, report_event
from vigie.reports.domain import (
    RESIDENT_CHANNELS,
    Channel,
    check_attributes,
    check_coordinates,
    check_description,
)
from vigie.reports.storage import IdempotencyRow, PhotoRow, ReportRow
from vigie.runtime import Vigie

if TYPE_CHECKING:  # Pillow and shapely are imported only where they are used
    from vigie.city.zones import Zone
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
    updated_at: datetime | None = None
    status_notes: str = ""
    # The source's own number, kept in the city's reference scheme (PREFIX-YEAR-number).
    reference_number: str | None = None


TOKEN_BYTES = 18  # a tracking secret: secrets.token_urlsafe(18), 24 characters


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
    # The resident's tracking secret, drawn when the submission is checked (in the caller's
    # thread): os.urandom lets go of Python's global lock, and SQLite's one writer thread
    # would wait to take it back for every report it writes.
    # A batch draws its secrets at once (intake._tokens).
    token: str = field(default_factory=lambda: secrets.token_urlsafe(TOKEN_BYTES))


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
    """Validate one submission: :func:`check_submissions` of one, its error raised."""
    checked = check_submissions(v, [sub])[0]
    if isinstance(checked, Exception):
        raise checked
    return checked


def check_submissions(v: Vigie, subs: Sequence[Submission]) -> list[CheckedSubmission | Exception]:
    """Validate submissions: for each, its checked form or the error that refuses it.

    The same checks for one submission or an import's batch of thousands, done so
    that a batch costs less per submission: the zones of all the points are found
    in one lookup (:meth:`~vigie.city.zones.ZoneIndex.locate_all`) and a procedure
    is resolved once per service, zone and attributes. Errors are returned in the
    submission's place (never raised), so one bad submission leaves the others.
    """
    fields: list[_Fields | Exception] = []
    for sub in subs:
        try:
            fields.append(_check_fields(v, sub))
        except Exception as exc:  # returned to the caller in the submission's place
            fields.append(exc)
    points = [f.point for f in fields if isinstance(f, _Fields) and f.point is not None]
    located = dict(zip(points, v.city.zones.locate_all(points), strict=True))
    procedures: dict[Any, Procedure] = {}
    out: list[CheckedSubmission | Exception] = []
    tokens = _tokens(len(subs))
    for sub, f, token in zip(subs, fields, tokens, strict=True):
        if isinstance(f, Exception):
            out.append(f)
            continue
        try:
            out.append(_check_place(v, sub, f, located, procedures, token))
        except Exception as exc:  # as above
            out.append(exc)
    return out


@dataclass
class _Fields:
    """What a submission's own fields give, before its place is found."""

    service: Service
    channel: Channel
    description: str
    address: str
    point: tuple[float, float] | None


def _check_fields(v: Vigie, sub: Submission) -> _Fields:
    code = (sub.service_code or "").strip()
    if not code:
        raise ValidationFailed("service_code is required", field="service_code")
    service = v.catalogue.service(code)
    if service is None:
        raise ValidationFailed(f"unknown service_code '{code}'", field="service_code")
    try:
        channel = sub.channel if isinstance(sub.channel, Channel) else Channel(sub.channel)
    except ValueError:
        raise ValidationFailed(f"unknown channel '{sub.channel}'", field="channel") from None
    if service.agents_only and channel in RESIDENT_CHANNELS:
        # Answered like an unknown code: residents' clients never learn these services exist.
        raise ValidationFailed(f"unknown service_code '{code}'", field="service_code")
    description = check_description(sub.description)
    address = (sub.address or "").strip()
    if len(address) > 512:
        raise ValidationFailed("address is longer than 512 characters", field="address_string")
    return _Fields(service, channel, description, address, check_coordinates(sub.lat, sub.long))


def _check_place(
    v: Vigie,
    sub: Submission,
    f: _Fields,
    located: dict[tuple[float, float], Zone | None],
    procedures: dict[Any, Procedure],
    token: str,
) -> CheckedSubmission:
    """The rest of the checks, with the zones of the batch's points (``located``) and
    the procedures it resolved so far (``procedures``, added to)."""
    service, channel = f.service, f.channel
    point, address, address_id, zone = _place(v, f.point, f.address, (sub.address_id or "").strip(), located)
    # An e-mail cannot answer the service's questions: the operator completes them.
    attributes = check_attributes(service, sub.attributes or {}, require=channel != Channel.EMAIL)
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
    try:
        key: Any = (service.code, zone.code, tuple(attributes.items()))
        procedure = procedures.get(key)
    except TypeError:  # a list value (multivaluelist): resolved each time
        key, procedure = None, None
    if procedure is None:
        procedure = v.catalogue.resolve(service.code, zone.code, attributes)
        if key is not None:
            procedures[key] = procedure
    return CheckedSubmission(
        sub=sub,
        service=service,
        lat=point[0] if point else None,
        long=point[1] if point else None,
        zone=zone.code,
        attributes=attributes,
        description=f.description,
        procedure=procedure,
        channel=channel,
        address=address,
        address_id=address_id,
        token=token,
    )


def _tokens(count: int) -> list[str]:
    """``count`` tracking secrets, each what ``secrets.token_urlsafe(18)`` gives, from one
    draw of the system's generator: 18 bytes are 24 base64 characters exactly, so the
    text of the whole draw cut every 24 characters is each one's text."""
    text = base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES * count)).decode("ascii")
    return [text[i : i + 24] for i in range(0, len(text), 24)]


def _place(
    v: Vigie,
    point: tuple[float, float] | None,
    address: str,
    address_id: str,
    located: dict[tuple[float, float], Zone | None] | None = None,
) -> tuple[tuple[float, float] | None, str, str, Zone]:
    """(point, address, address id, zone) of a report.

    An ``address_id`` of the gazetteer gives the point and the address; an
    address typed without a point is geocoded inside the city's zones (else a
    commune named in it places the report in that zone, without a point); a
    point without an address gets the address or street under it. ``located``:
    zones already found for given points.
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
        zone = located[point] if located is not None and point in located else zones.locate(*point)
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


@dataclass
class CreatedReports:
    """What :func:`do_create_reports` wrote: ids in the order given, and rows unless in history mode."""

    ids: list[int]
    rows: list[ReportRow]
    created: bool = True  # False: a replayed Idempotency-Key, ``rows`` holds the first report

    @property
    def row(self) -> ReportRow:
        return self.rows[0]


def do_create_reports(
    v: Vigie,
    batch: CheckedSubmission | Sequence[CheckedSubmission],
    *,
    photos: list[ProcessedPhoto] | None = None,
    idempotency: Idempotency | None = None,
    agent: Agent | None = None,
    history: bool = False,
) -> CreatedReports:
    """Create one report or a batch: the only way reports are created.

    Every adapter (native API, Open311, phone intake, import, demo) checks its
    submissions with :func:`check_submission`, then calls this. A batch is one
    transaction: all of it is written, or none (the importer retries a failed
    batch one report at a time to name the bad one). Photos and an
    Idempotency-Key come with a single submission.

    ``history`` writes reports brought from another system as they were: their
    status, dates and reference number come from the source, no SLA clock runs
    (no due date, so never overdue), nothing is e-mailed and no event is
    published per report (the importer publishes one summary); only ids are
    returned, so a million rows are never held as objects.

    How rows reach the database is decided here only: a resident's plain report
    on PostgreSQL is one statement with its event's NOTIFY; one report is
    written with statements compiled once; a batch is set-based
    (:mod:`vigie.reports.inserts`).
    """
    items = [batch] if isinstance(batch, CheckedSubmission) else list(batch)
    if (photos or idempotency) and len(items) != 1:
        raise ValueError("photos and an Idempotency-Key go with one submission")
    for checked in items:
        check_filer(agent, checked.channel)
    if idempotency:
        existing = lookup_idempotent(v, idempotency)
        if existing is not None:
            return CreatedReports([existing], [get_report(v, existing)], created=False)
    if not items:
        return CreatedReports([], [])
    now = utcnow()
    photo_keys: list[str] = []
    for p in photos or []:
        key = uuid.uuid4().hex
        v.photos.put(key, p.data, p.content_type)
        v.photos.put(key + "_t", p.thumbnail, "image/jpeg")
        photo_keys.append(key)

    def unit(s: Session) -> tuple[list[int], list[ReportRow], list[PhotoRow]]:
        ids, rows = inserts.write_reports(v, s, items, agent, history)
        photo_rows = [
            PhotoRow(
                report_id=ids[0],
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
                    body=json.dumps({"report_id": ids[0]}),
                    content_type="application/json",
                    created_at=now,
                )
            )
        if agent:
            for row in rows:
                do_audit(s, agent, "report.create", "report", str(row.id), {"channel": row.channel})
        if not history:  # history is never announced
            # The reporter's receipt (e-mail outbox) commits with the report.
            for row in rows:
                v.messages.stage(s, ReportCreated(row))
        s.flush()
        return ids, rows, photo_rows

    published = False
    photo_rows: list[PhotoRow] = []
    try:
        plain = None
        # Photo rows, an idempotency record or an agent's audit row must commit with the
        # report: those keep the transaction. So does a report with a message to queue.
        if (
            len(items) == 1
            and not photos
            and idempotency is None
            and agent is None
            and not history
            and v.db.dialect == "postgresql"
        ):
            plain = inserts.submit_in_one_statement(v, items[0])
        if plain is not None:
            row, published = plain
            ids, rows = [row.id], [row]
        else:
            ids, rows, photo_rows = v.db.write(unit)
    except IntegrityError:
        for key in photo_keys:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        if idempotency:
            # Lost a race with the same key: the winner's report is the answer.
            existing = lookup_idempotent(v, idempotency)
            if existing is not None:
                return CreatedReports([existing], [get_report(v, existing)], created=False)
        taken = [c.sub.external_id for c in items if c.sub.external_id]
        if len(items) == 1 and taken:
            raise Conflict(f"a report with external id '{taken[0]}' exists", field="external_id") from None
        if taken:
            raise Conflict("a report of this batch exists already (external id or reference)") from None
        raise
    except BaseException:
        for key in photo_keys:
            v.photos.delete(key)
            v.photos.delete(key + "_t")
        raise
    if rows:
        # The committed row is complete: no need to read it back (intake speed).
        set_committed_value(rows[0], "photos", photo_rows)
    live = [row for row in rows if row.channel != Channel.IMPORT.value]
    if live and not history:
        # The live events may already have left with the one-statement insert;
        # subscribers (alarm links…) hear of each report after commit.
        events: list[object] = [] if published else [report_event(v, "report.created", row) for row in live]
        v.messages.publish(events + [ReportCreated(row) for row in live])
    return CreatedReports(ids, rows)


def do_submit_report(
    v: Vigie,
    checked: CheckedSubmission,
    photos: list[ProcessedPhoto] | None = None,
    idempotency: Idempotency | None = None,
    agent: Agent | None = None,
) -> tuple[ReportRow, bool]:
    """One submission through :func:`do_create_reports`: (report, created).

    A replayed idempotent request returns the first report and creates nothing.
    """
    done = do_create_reports(v, checked, photos=photos, idempotency=idempotency, agent=agent)
    return done.row, done.created


__all__ = [
    "Submission",
    "CheckedSubmission",
    "CreatedReports",
    "Idempotency",
    "check_submission",
    "check_submissions",
    "check_filer",
    "lookup_idempotent",
    "do_create_reports",
    "do_submit_report",
]
