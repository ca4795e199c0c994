"""Fixtures of the importer tests: the San Francisco profile and the SF311 sample."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigie.bootstrap import build_vigie
from vigie.runtime import Vigie
from vigie.settings import Settings

# The shared real-data directory sits next to the repository (../shared/data).
SF_SAMPLE = Path(
    os.environ.get(
        "VIGIE_SF311_SAMPLE",
        Path(__file__).resolve().parents[3] / "shared" / "data" / "sf311_sample.csv",
    )
)


@pytest.fixture
def sf_settings(vigie_settings: Settings) -> Settings:
    return vigie_settings.model_copy(update={"city": "sanfrancisco"})


@pytest.fixture
def sf(sf_settings: Settings) -> Iterator[Vigie]:
    v = build_vigie(sf_settings)
    yield v
    v.db.dispose()


@pytest.fixture
def sf_sample() -> Path:
    if not SF_SAMPLE.is_file():
        pytest.skip(f"{SF_SAMPLE} is not available (real DataSF 311 sample, see its README)")
    return SF_SAMPLE
