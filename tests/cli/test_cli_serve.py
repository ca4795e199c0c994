"""`vigie serve` ends on its own when the app cannot start: one message (file and line, or the
setting), no traceback for Vigie's own errors, exit status 3, with one worker or two.

Before, a broken profile was checked twice (by `serve`, then by the app's start-up), and any other
start-up failure printed a traceback, then left the process running: its threads kept it alive,
and with two workers a worker whose factory raised was started again and again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.live import free_port

pytestmark = pytest.mark.slow

EXAMPLE = Path("docs/example-profile")


def broken_profile(tmp_path: Path) -> tuple[Path, str]:
    """The example profile with an unknown key in its catalogue, and that problem's line."""
    profile = tmp_path / "profile"
    profile.mkdir()
    for name in ["city.yaml", "quartiers.geojson", "catalogue.yaml", *[p.name for p in EXAMPLE.glob("*.md")]]:
        (profile / name).write_text((EXAMPLE / name).read_text(encoding="utf-8"), encoding="utf-8")
    catalogue = profile / "catalogue.yaml"
    lines = catalogue.read_text(encoding="utf-8").splitlines()
    number = next(i for i, x in enumerate(lines) if x.startswith("    team: "))
    lines[number] = lines[number].replace("team:", "teem:")
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return profile, f"{catalogue}:{number + 1}: procedures[0].teem: unknown key 'teem'"


def serve(tmp_path: Path, workers: int, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
        "VIGIE_PORT": str(free_port()),
        "VIGIE_WORKERS": str(workers),
        "VIGIE_ENVIRONMENT": "test",
        **settings,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # A bounded wait: a server left hanging fails the test instead of blocking the run.
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "vigie.cli", "serve"], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_an_invalid_catalogue_exits_with_its_problems_once(tmp_path: Path, workers: int):
    profile, problem = broken_profile(tmp_path)
    result = serve(tmp_path, workers, VIGIE_CITY=str(profile))
    assert result.returncode == 3
    assert result.stderr.count("Vigie could not start") == 1
    assert f"problems in {profile / 'catalogue.yaml'}" in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_a_basemap_that_cannot_be_read_exits_naming_the_setting(tmp_path: Path):
    # Checked by the app factory: with two workers, each one's failure started another.
    missing = tmp_path / "streets.pmtiles"
    result = serve(tmp_path, 2, VIGIE_BASEMAP=str(missing))
    assert result.returncode == 3
    assert result.stderr.count("Vigie could not start") == 1
    assert f"{missing}: VIGIE_BASEMAP: cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_an_unexpected_start_up_error_exits_with_its_traceback(tmp_path: Path):
    # The data directory cannot be made under a regular file: not one of Vigie's own errors, so
    # its traceback follows the message (the only clue to it).
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = serve(tmp_path, 1, VIGIE_DATA_DIR=str(tmp_path / "file" / "data"))
    assert result.returncode == 3
    assert "Vigie could not start: " in result.stderr and "Traceback" in result.stderr
