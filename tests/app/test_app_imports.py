"""What the web process loads at start: the heavy engines wait for the first request needing them."""

from __future__ import annotations

import json
import subprocess
import sys

# Each costs the web process 20-25 MB of RSS (docs/benchmarks.md, issue 15) and serves
# only some pages: rdflib the DCAT catalogue, shapely loading a city's zones.
LAZY_ENGINES = ("rdflib", "shapely")

PROBE = """
import json, sys
from vigie.app.factory import create_app
create_app()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[1:])))
"""


def test_app_factory_does_not_import_heavy_engines() -> None:
    # A fresh interpreter: this test process has imported them already through other tests.
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, *LAZY_ENGINES], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
