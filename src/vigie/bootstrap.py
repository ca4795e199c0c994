"""Building the platform: the one place where its parts are chosen and wired.

The app lifespan, the CLI and the tests all get their :class:`~vigie.runtime.Vigie`
from :func:`build_vigie`: the seams picked by configuration (database, event bus,
photo store, shared limits) are made here, and every context's subscribers are
registered here (:func:`wire_contexts`), so that no context calls another to
tell it what happened.
"""

from __future__ import annotations

from functools import partial

from vigie.alarms.actions import heartbeat_silences, link_new_reports
from vigie.assets.actions import track_versions
from vigie.assets.states import TelemetryFeed
from vigie.catalogue.loader import load_catalogue
from vigie.city.profile import load_profile
from vigie.db import Database
from vigie.events.bus import make_bus
from vigie.events.changes import (
    AddressErased,
    AlarmLinked,
    Logged,
    ReportChanged,
    ReportCreated,
    ReportFollowed,
)
from vigie.events.domain import DomainEvent
from vigie.inbound.actions import forget_sender
from vigie.limits.store import make_limit_store
from vigie.notifications.actions import (
    announce_change,
    announce_new_report,
    announces_new_report,
    ask_follower_to_confirm,
)
from vigie.objectstore import s3_location
from vigie.opendata.builtin import register_builtin_sources
from vigie.opendata.contexts import register_context_sources
from vigie.opendata.roads import register_road_sources
from vigie.opendata.uploads import register_upload_source
from vigie.oplog.actions import record_logged
from vigie.photos.storage import make_photo_store
from vigie.reports.subscribers import record_alarm_link
from vigie.residents.actions import forget_address
from vigie.reusers.actions import forget_address as forget_reuser
from vigie.runtime import Vigie
from vigie.settings import Settings
from vigie.telemetry.queries import history, latest_state, latest_values
from vigie.telemetry.schema import kind_of
from vigie.winter.actions import propose_from_alarms


def build_vigie(settings: Settings | None = None) -> Vigie:
    settings = settings or Settings()
    city = load_profile(settings.city)
    catalogue = load_catalogue(city.catalogue_path, city.zones.codes())
    db = Database(settings.resolved_database_url, group_commit=settings.sqlite_group_commit)
    track_versions(db)  # cached map layers follow every worker's writes (vigie.cacheversions)
    bus = make_bus(settings.event_bus, settings.resolved_database_url)
    photos = make_photo_store(settings.photo_storage, settings.data_dir, s3_location(settings, "photos"))
    limits = make_limit_store(settings, db)
    v = Vigie(settings, city, catalogue, db, bus, photos, limits=limits)
    wire_contexts(v)
    return v


def wire_contexts(v: Vigie) -> None:
    """Who hears of what (see vigie.events.messagebus for the two moments)."""
    m = v.messages
    # Live streams (SSE) of every worker, through the bus seam.
    m.subscribe(DomainEvent, partial(_to_live_streams, v))
    # E-mail outbox: queued with the change that causes the message.
    m.subscribe_in_transaction(
        ReportCreated, partial(announce_new_report, v), wants=partial(announces_new_report, v)
    )
    m.subscribe_in_transaction(ReportChanged, partial(announce_change, v))
    m.subscribe_in_transaction(ReportFollowed, partial(ask_follower_to_confirm, v))
    # An erasure carried out: the inbound mail's senders forget the address with it…
    m.subscribe_in_transaction(AddressErased, forget_sender)
    # … and a resident account of that address is deleted with it.
    m.subscribe_in_transaction(AddressErased, forget_address)
    m.subscribe_in_transaction(AddressErased, forget_reuser)  # and the reusers' API keys
    # Alarms and residents' reports: a new report is linked to the alarms nearby (after
    # commit: never fails the report); an alarm's link is a history entry of the report.
    m.subscribe(ReportCreated, partial(link_new_reports, v))
    m.subscribe_in_transaction(AlarmLinked, record_alarm_link)
    # The operations log (main courante): every service's notable events, written with the
    # change they record (alarms, plan levels, image extractions…).
    m.subscribe_in_transaction(Logged, partial(record_logged, v))
    # Winter service: a road weather station's ice alarm proposes a level of the winter plan.
    m.subscribe(DomainEvent, partial(propose_from_alarms, v))
    # The equipment's live state (assets) reads telemetry and the alarm rules, which build
    # on assets: they are handed to it rather than imported by it.
    v.asset_telemetry = TelemetryFeed(
        kind_of=kind_of,
        latest_values=partial(latest_values, v),
        silent_after=partial(heartbeat_silences, v),
        latest_state=partial(latest_state, v),
        history=partial(history, v),
    )
    # Open data: the sources datasets are built from (other contexts register theirs here:
    # vigie.opendata.sources.register_source).
    register_builtin_sources()
    register_context_sources()
    register_road_sources()
    register_upload_source()


def _to_live_streams(v: Vigie, events: list[DomainEvent]) -> None:
    v.bus.publish(events)  # looked up each time: the bus may be replaced (tests spy on it)


__all__ = ["build_vigie", "wire_contexts"]
