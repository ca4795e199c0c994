"""The running platform: settings, city, catalogue, database, bus and stores.

Built once by :func:`vigie.bootstrap.build_vigie` (for the app, the CLI and
the tests) and handed to use-case functions, so the web, CLI and MQTT adapters
all call the same code. Everything a context keeps while the platform runs has
a typed place here (:class:`Ingest`, :class:`Caches`), never a string-keyed bag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigie.db import Database
from vigie.errors import ConfigurationError
from vigie.events.bus import EventBus
from vigie.events.messagebus import MessageBus
from vigie.settings import Settings

if TYPE_CHECKING:
    from vigie.addresses.builtin import BuiltinGeocoder
    from vigie.addresses.geocoder import CachedGeocoder
    from vigie.alarms.rules import Rule
    from vigie.assets.geojson import LayerCache
    from vigie.assets.states import StateCache, TelemetryFeed
    from vigie.catalogue.domain import Catalogue
    from vigie.city.profile import CityProfile
    from vigie.cityinfo.links import LinkGroup
    from vigie.inbound.auth import Resolver
    from vigie.lighting.fleet import Fleet
    from vigie.limits.store import LimitStore
    from vigie.maps.basemap import Basemap
    from vigie.maps.layers import CachedLayer
    from vigie.opendata.lab_worker import LabProcess
    from vigie.opendata.release_tables import ReleaseTables
    from vigie.photos.storage import PhotoStore
    from vigie.telemetry.pipeline import IngestPipeline
    from vigie.telemetry.sources import TelemetrySource
    from vigie.transport.parking import CarParks
    from vigie.transport.realtime import RealtimeFeed
    from vigie.transport.replay import Replay
    from vigie.triage.actions import TrainedRanker
    from vigie.waste.domain import Rounds

log = logging.getLogger(__name__)


@dataclass
class Ingest:
    """The telemetry ingest of this process, while it holds the ingest lock.

    Set by ``telemetry.service`` and read by queries of the latest state, the
    alarm timers and manual alarm clearing; all None (and ``leader`` False) in
    the processes that do not ingest. A partitioned ingest (``telemetry.partitioned``)
    holds only some assets: it sets ``status``, and ``source`` and ``leader`` on the
    leader, never ``pipeline`` (readers of the whole fleet's state use the database).
    """

    pipeline: IngestPipeline | None = None
    source: TelemetrySource | None = None
    leader: bool = False
    # Wakes the command dispatcher at once instead of at its next tick.
    wake_dispatch: Callable[[], object] | None = None
    # A partitioned ingest (vigie.telemetry.partitioned): what this process consumes.
    status: Callable[[], dict[str, Any]] | None = None


@dataclass
class Caches:
    """What contexts compute once per platform and keep while it runs."""

    alarm_rules: list[Rule] | None = None
    default_schedule_ensured: bool = False
    asset_layers: LayerCache | None = None
    asset_states: StateCache | None = None
    map_layers: dict[str, CachedLayer] | None = None
    geocoder: CachedGeocoder | None = None
    gazetteer: BuiltinGeocoder | None = None
    dns_resolver: Resolver | None = None  # vigie.inbound: SPF/DKIM/DMARC lookups (tests: their own)
    service_ranker: TrainedRanker | None = None  # vigie.triage: retrained as history grows
    transit_realtime: RealtimeFeed | None = None
    transit_replay: Replay | None = None
    transit_timezone: str | None = None  # the imported timetable's, read once
    car_parks: CarParks | None = None
    lighting_fleet: tuple[object, Fleet] | None = None  # (data version, fleet)
    waste_rounds: Rounds | None = None
    # vigie.citizen.views.resident_sections: (monotonic deadline, whether stops and places are imported)
    resident_sections: tuple[float, dict[str, bool]] | None = None
    # vigie.lighting.planner_service: the planner's view of lighting_fleet and its hours.
    lighting_points: tuple[object, ...] | None = None
    service_links: list[LinkGroup] | None = None
    # vigie.opendata.release_tables: published releases loaded in DuckDB (records and OGC APIs)
    release_tables: ReleaseTables | None = None
    # vigie.opendata.lab_worker: the data lab's query process, started with the first lab query
    lab_process: LabProcess | None = None


@dataclass
class Vigie:
    settings: Settings
    city: CityProfile
    catalogue: Catalogue
    db: Database
    bus: EventBus
    photos: PhotoStore
    limits: LimitStore | None = None  # shared counters (vigie.limits); set by build_vigie
    # The subscribers of each event, wired by vigie.bootstrap.
    messages: MessageBus = field(default_factory=MessageBus)
    # What the assets' live state reads from telemetry and alarms, wired by vigie.bootstrap.
    asset_telemetry: TelemetryFeed | None = None
    ingest: Ingest = field(default_factory=Ingest)
    basemap: Basemap | None = None  # checked by the app factory (vigie.maps.basemap.basemap_of)
    caches: Caches = field(default_factory=Caches)


__all__ = ["Caches", "ConfigurationError", "Ingest", "Vigie"]
