"""What the web process loads at start: the heavy engines wait for the first request needing them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Each costs the web process 20-80 MB of RSS (docs/benchmarks.md, issue 15) and serves
# only some requests: rdflib the DCAT catalogue, duckdb the records API, the OGC API, the
# exports and the data lab, pyarrow those and the open data releases and uploads.
LAZY_ENGINES = ("rdflib", "duckdb", "pyarrow")
# shapely is loaded by the started app (the city profile's zones), not by the import.
LAZY_AT_IMPORT = (*LAZY_ENGINES, "shapely")

PROBE = """
import json, sys
from vigie.app.factory import create_app
create_app()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[1:])))
"""

# The app started as `vigie serve` starts it (lifespan, background services), then asked
# what most requests ask: pages, lists, the open data portal; every answer must be a 200.
STARTED = """
import json, sys
from fastapi.testclient import TestClient
from vigie.app.factory import create_app
from vigie.settings import Settings

with TestClient(create_app(Settings())) as client:
    for path in ("/readyz", "/", "/open311/v2/requests.json", "/api/v1/reports", "/donnees"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[1:])))
"""


def _loaded(script: str, engines: tuple[str, ...], env: dict[str, str] | None = None) -> list[str]:
    # A fresh interpreter: this test process has imported them already through other tests.
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, *engines], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_app_factory_does_not_import_heavy_engines() -> None:
    assert _loaded(PROBE, LAZY_AT_IMPORT) == []


def test_app_started_and_serving_does_not_import_heavy_engines(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VIGIE_ENVIRONMENT": "test",
        "VIGIE_DATA_DIR": str(tmp_path),
        "VIGIE_DATABASE_URL": database_url,
        "VIGIE_PUBLIC_BASE_URL": "http://testserver",
        "VIGIE_LOG_LEVEL": "warning",
    }
    assert _loaded(STARTED, LAZY_ENGINES, env) == []
