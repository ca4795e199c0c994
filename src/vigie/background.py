"""Background services started with the web app (outbox sender, MQTT ingest, alarm timers).

The app lifespan starts them after the event bus and stops them in reverse
order. Like :mod:`vigie.bootstrap`, this module wires contexts together (the
ingest pipeline comes with the alarm rules and the traffic and winter contexts
listening to it), so that they need not know each other.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

from vigie.alarms.ingest import build_pipeline
from vigie.alarms.service import make_background as alarm_timers
from vigie.inbound.service import make_background as inbound_mail
from vigie.lighting.measured import cabinet_energy
from vigie.notifications.service import make_background as outbox
from vigie.opendata.service import make_background as opendata_releases
from vigie.residents.service import make_background as waste_reminders
from vigie.retention import make_background as retention
from vigie.runtime import Vigie
from vigie.telemetry.partitioned import PartitionedIngest, partitioned
from vigie.telemetry.pipeline import IngestPipeline
from vigie.telemetry.service import TelemetryService
from vigie.traffic.observer import TrafficObserver
from vigie.videoprotection.service import make_background as video_compliance
from vigie.winter.coverage import CoverageTracker
from vigie.winter.service import SaltingSimulation


class BackgroundService(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_ingest(v: Vigie) -> IngestPipeline:
    """The ingest pipeline with its listeners: the alarm rules (judging the cabinets'
    meters against lighting's energy model), and the contexts that follow their devices
    message by message (traffic counts and priority requests, the salting vehicles'
    positions)."""
    pipeline = build_pipeline(v, energy_model=partial(cabinet_energy, v))
    pipeline.add_observer(TrafficObserver(v))
    pipeline.add_observer(CoverageTracker(v))
    return pipeline


def background_services(v: Vigie) -> list[BackgroundService]:
    """In start order: the outbox sender, the inbound mail channel, the telemetry ingest
    (spread over every process on PostgreSQL with a broker, else one process's),
    the embedded simulator's salting runs, the alarm timers, the video-protection
    compliance check, the scheduled open data releases, the waste collection reminders, the
    retention periods."""
    return [
        *outbox(v),
        *inbound_mail(v),
        PartitionedIngest(v, build_ingest) if partitioned(v) else TelemetryService(v, build_ingest),
        SaltingSimulation(v),
        *alarm_timers(v),
        *video_compliance(v),
        *opendata_releases(v),
        *waste_reminders(v),
        *retention(v),
    ]
