"""Fixtures of the assets tests: the Washington DC profile, the DDOT sample, small fleets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigie.accounts.domain import SYSTEM
from vigie.assets.actions import do_create_asset
from vigie.assets.domain import AssetDraft
from vigie.assets.storage import AssetRow
from vigie.bootstrap import build_vigie
from vigie.runtime import Vigie
from vigie.settings import Settings

# The shared real-data directory sits next to the repository (../shared/data).
DC_SAMPLE = Path(
    os.environ.get(
        "VIGIE_DC_STREETLIGHTS",
        Path(__file__).resolve().parents[3] / "shared" / "data" / "dc_streetlights.csv",
    )
)

# Places inside two communes of Dijon Métropole.
DIJON_CENTRE = (47.3220, 5.0415)  # Dijon (21231), place de la Libération
QUETIGNY = (47.3130, 5.1070)  # Quetigny (21515)


@pytest.fixture
def dc_settings(vigie_settings: Settings) -> Settings:
    return vigie_settings.model_copy(update={"city": "washingtondc"})


@pytest.fixture
def dc(dc_settings: Settings) -> Iterator[Vigie]:
    v = build_vigie(dc_settings)
    yield v
    v.db.dispose()


@pytest.fixture
def dc_sample() -> Path:
    if not DC_SAMPLE.is_file():
        pytest.skip(f"{DC_SAMPLE} is not available (real DDOT sample, see its README)")
    return DC_SAMPLE


def cabinet(id_: str = "CAB-9001", lat: float = 47.3225, long: float = 5.0420) -> AssetDraft:
    return AssetDraft(
        id=id_,
        type="control_cabinet",
        lat=lat,
        long=long,
        attributes={"workingMode": "automatic", "maximumPowerAvailable": 12},
    )


def light(
    id_: str,
    lat: float,
    long: float,
    *,
    cab: str | None = "CAB-9001",
    tech: str = "LED",
    watts: float = 40,
    status: str = "in_service",
    group: str = "",
) -> AssetDraft:
    return AssetDraft(
        id=id_,
        type="street_light",
        lat=lat,
        long=long,
        status=status,
        group=group,
        attributes={"lampTechnology": tech, "powerRating": watts, "lanternHeight": 6},
        links={"refStreetlightControlCabinet": cab} if cab else {},
    )


def camera(id_: str = "CAM-9001", lat: float = 47.3218, long: float = 5.0410, **attrs: object) -> AssetDraft:
    attributes: dict[str, object] = {
        "cameraType": "ptz",
        "authorisationDate": "2024-03-01",
        "authorisationExpiry": "2029-03-01",
        "retentionDays": 30,
    }
    attributes.update(attrs)
    return AssetDraft(id=id_, type="camera", lat=lat, long=long, attributes=attributes)


Fleet = dict[str, AssetRow]


@pytest.fixture
def small_fleet(vigie: Vigie) -> Fleet:
    """A cabinet, five lights (two groups, one in maintenance), a camera and a vehicle."""
    lat, long = DIJON_CENTRE
    drafts = [
        cabinet(),
        light("SL-T-1", lat, long, group="21231-G001"),
        light("SL-T-2", lat + 0.0003, long, group="21231-G001", tech="HPS", watts=100),
        light("SL-T-3", lat + 0.0006, long, group="21231-G001", status="maintenance"),
        light("SL-T-4", lat, long + 0.0004, group="21231-G002", tech="MH", watts=150),
        light("SL-Q-1", QUETIGNY[0], QUETIGNY[1], cab=None, group="21515-G001"),
        camera(),
        AssetDraft(
            id="VEH-901",
            type="vehicle",
            lat=None,
            long=None,
            attributes={"vehicleRole": "snow_plough", "vehicleType": "lorry"},
        ),
    ]
    return {d.id: do_create_asset(vigie, d, SYSTEM) for d in drafts}
