"""The lock files pin every dependency pyproject.toml declares, within its declared range, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, ver in PIN.findall((ROOT / lock).read_text(encoding="utf-8")):
        found.setdefault(canonicalize_name(name), set()).add(ver)
    return found


@pytest.mark.parametrize(
    ("lock", "declared"),
    [
        ("requirements.lock", PYPROJECT["dependencies"]),
        ("requirements-dev.lock", PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["dev"]),
    ],
)
def test_lockfiles_pin_every_declared_dependency_in_range(lock: str, declared: list[str]) -> None:
    locked = pins(lock)
    problems = []
    for line in declared:
        req = Requirement(line)
        versions = locked.get(canonicalize_name(req.name))
        if not versions:
            problems.append(f"{req.name} is declared but not in {lock}")
        elif not any(req.specifier.contains(v, prereleases=True) for v in versions):
            problems.append(f"{req.name} {sorted(versions)} in {lock} is outside {req.specifier}")
    assert problems == [], "; ".join(problems) + ": run `make lock`"


def test_lockfiles_runtime_versions_are_the_dev_versions() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    differ = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert differ == {}, "run `make lock`"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_lockfiles_every_pin_has_a_hash(lock: str) -> None:
    text = (ROOT / lock).read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    unhashed = [e.split()[0] for e in entries if "==" in e and "--hash=sha256:" not in e]
    assert unhashed == []
