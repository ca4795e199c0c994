"""The compliance check on a timer (``VIGIE_VIDEO_COMPLIANCE_MINUTES``), in the process that
holds the ingest lock only, so that several workers never open the same alert twice (the
unique open key would refuse it anyway)."""

from __future__ import annotations

from vigie.periodic import LeaderJob
from vigie.runtime import Vigie
from vigie.videoprotection.actions import do_check_compliance


def make_background(v: Vigie) -> list[LeaderJob]:
    if v.settings.video_compliance_minutes <= 0:
        return []
    period = max(v.settings.video_compliance_minutes * 60, 1.0)
    # A first check soon after start: an authorisation may have expired while the platform was down.
    return [LeaderJob(v, "video-compliance", do_check_compliance, period, first_after=min(period, 30.0))]
