"""Fixtures of the maps tests: a small PMTiles archive of the city's communes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.maps.archive import COMMUNES, build_archive


@pytest.fixture(scope="session")
def pmtiles_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("basemap") / "dijon.pmtiles"
    return build_archive(path, json.loads(COMMUNES.read_text(encoding="utf-8")))


# The transport feed fixtures, for the context layers' endpoint.
from tests.transport.conftest import divia, small_feed  # noqa: E402, F401
