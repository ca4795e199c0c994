from __future__ import annotations

import pytest

from tests.citizen.helpers import with_citizen_routes
from vigie.app import create_app


@pytest.fixture
def app(vigie):  # type: ignore[no-untyped-def]
    return with_citizen_routes(create_app(vigie=vigie))
