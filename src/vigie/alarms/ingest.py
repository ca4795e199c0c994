"""The telemetry ingest pipeline with the alarm rules listening to it.

Handed to the telemetry service by :mod:`vigie.background`: telemetry carries
messages and knows nothing of alarms; alarms listen to telemetry.
"""

from __future__ import annotations

from functools import partial

from vigie.alarms.actions import apply_ops, get_rules
from vigie.alarms.engine import EnergyModel, RuleEngine
from vigie.alarms.queries import active_keys
from vigie.runtime import Vigie
from vigie.telemetry.pipeline import IngestPipeline
from vigie.telemetry.registry import AssetRegistry


def build_pipeline(v: Vigie, energy_model: EnergyModel | None = None) -> IngestPipeline:
    """Registry + rule engine (with the alarms already active) + pipeline, not started.

    ``energy_model`` is what the consumption rules judge meters against (lighting's
    model of its cabinets, handed in by the wiring: alarms do not know lighting).
    """
    registry = AssetRegistry(v.db)
    registry.refresh()
    engine = RuleEngine(get_rules(v), energy_model)
    engine.load_active(active_keys(v))
    return IngestPipeline(
        v, registry, engine, alarm_sink=partial(apply_ops, v), active_alarms=partial(active_keys, v)
    )
