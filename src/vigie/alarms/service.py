"""Alarm timers: escalation, missing heartbeats, meters' consumption, lighting programs,
command time-outs.

One periodic task (``VIGIE_ALARM_TIMER_SECONDS``) that acts only in the process
holding the ingest lock, so that several workers never escalate twice.
"""

from __future__ import annotations

from vigie.periodic import LeaderJob
from vigie.runtime import Vigie


def tick(v: Vigie) -> dict[str, int]:
    """One round of every timer; returns what each did. Safe to call from tests."""
    from vigie.alarms.actions import do_escalate_due
    from vigie.telemetry.lighting import ensure_default_schedule, expire_commands, run_schedules

    done = {"heartbeats": 0, "consumption": 0, "escalated": 0, "expired": 0, "programs": 0}
    pipeline = v.ingest.pipeline
    if pipeline is not None:
        pipeline.reconcile_alarms()  # alarms cleared by hand through another worker
        done["heartbeats"] = pipeline.check_heartbeats()
        done["consumption"] = pipeline.check_meters()
    done["escalated"] = do_escalate_due(v)
    done["expired"] = expire_commands(v)
    if v.settings.lighting_scheduler and v.ingest.source is not None:
        if not v.caches.default_schedule_ensured:
            ensure_default_schedule(v)
            v.caches.default_schedule_ensured = True
        done["programs"] = run_schedules(v)
    return done


def make_background(v: Vigie) -> list[LeaderJob]:
    return [LeaderJob(v, "alarm-timers", tick, max(v.settings.alarm_timer_seconds, 0.5))]
