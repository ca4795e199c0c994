from __future__ import annotations

import pytest

from vigie.app import create_app


@pytest.fixture
def app(vigie):  # type: ignore[no-untyped-def]
    return create_app(vigie=vigie)
