"""The Dijon demo's lighting records: the communes that switch off part of the night.

Which communes switch off, and when, is illustrative (the demo fleet's cabinets
in those communes are ``night-OFF``); a real city records its mayors' decisions
through the API (PUT /api/v1/lighting/switch-off/{zone}).
"""

from __future__ import annotations

from datetime import date

from vigie.assets.demo_plan import NIGHT_OFF
from vigie.db import utcnow
from vigie.errors import Forbidden
from vigie.lighting.storage import SwitchOffRow
from vigie.runtime import Vigie

NOTE = "Démo : arrêté municipal illustratif"


def load_demo_lighting(v: Vigie) -> list[str]:
    if v.settings.environment == "production":
        raise Forbidden("the demo cannot be loaded in production")
    zones = {z.code for z in v.city.zones.zones}
    added = 0
    with v.db.session(write=True) as s:
        for code in sorted(NIGHT_OFF & zones):
            if s.get(SwitchOffRow, code) is None:
                s.add(
                    SwitchOffRow(
                        zone=code,
                        off_start="00:00",
                        off_end="05:00",
                        decided_on=date(2019, 9, 1),
                        note=NOTE,
                        updated_at=utcnow(),
                    )
                )
                added += 1
        s.commit()
    return [f"demo lighting: {added} communes switching off from midnight to 05:00"]
