"""The permission registry: complete, used, and the only place roles are compared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vigie.accounts import permissions as perms
from vigie.accounts.domain import Agent, Role
from vigie.errors import Forbidden, Unauthorized

SRC = Path(perms.__file__).resolve().parents[1]
# require(agent, "x"), agent.can("x") (templates: 'x'), mutate_report(v, id, agent, "x", …),
# permission = "x"
USE = re.compile(
    r"""(?:require\([^()"]*|\.can\(|mutate_report\([^"()]*agent,\s*"""
    r"""|permission = (?:"[a-z.]+" if [^"]+ else )?)["']([a-z]+\.[a-z]+)["']"""
)


def _sources() -> dict[Path, str]:
    """The code and the page templates, the registry left out."""
    files = [*SRC.rglob("*.py"), *SRC.rglob("*.html")]
    return {p: p.read_text(encoding="utf-8") for p in files if p.name != "permissions.py"}


def test_permissions_every_role_holds_declared_permissions_in_declared_groups() -> None:
    assert set(perms.ROLE_PERMISSIONS) == set(Role)
    groups = {g.code for g in perms.GROUPS}
    for p in perms.PERMISSIONS.values():
        assert p.group in groups, p
        assert p.en and p.fr, p
        assert perms.roles_with(p.code), f"{p.code} is granted to no role"
    for role, granted in perms.ROLE_PERMISSIONS.items():
        assert granted <= set(perms.PERMISSIONS), (role, granted - set(perms.PERMISSIONS))


def test_permissions_used_in_the_code_are_declared_and_every_declared_one_is_used() -> None:
    used: dict[str, list[str]] = {}
    for path, text in _sources().items():
        for code in USE.findall(text):
            used.setdefault(code, []).append(path.name)
    assert used, "the pattern finds no permission check: it is out of date"
    unknown = sorted(set(used) - set(perms.PERMISSIONS))
    assert not unknown, f"checked but not declared in accounts/permissions.py: {unknown}"
    unused = sorted(set(perms.PERMISSIONS) - set(used))
    assert not unused, f"declared but never checked (remove them or check them): {unused}"


def test_permissions_roles_are_compared_only_in_the_registry() -> None:
    compare = re.compile(
        r"\.role(?:\.value)?\s*(?:==|!=|\bin\b|\bnot in\b)|\bRole\.[A-Z_]+\b|role\s*===?\s*['\"]"
    )
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path, text in _sources().items()
        if path.name != "domain.py" or path.parent.name != "accounts"
        for n, line in enumerate(text.splitlines(), 1)
        if compare.search(line) and "UserRow.role" not in line
    ]
    assert not found, "check a permission (accounts/permissions.py) instead of a role:\n" + "\n".join(found)


def test_permissions_require_names_who_is_missing_and_what() -> None:
    field = Agent(7, "f@x.example", "F", Role.FIELD_AGENT, "")
    with pytest.raises(Unauthorized):
        perms.require(None, "reports.read")
    assert perms.require(field, "reports.work") is field
    with pytest.raises(Forbidden, match=r"field_agent.*reports\.intake: file a report on a resident's"):
        perms.require(field, "reports.intake")
    with pytest.raises(KeyError, match="declare it"):
        perms.require(field, "reports.nope")
    with pytest.raises(KeyError):
        field.can("reports.nope")


def test_permissions_each_role_holds_what_the_one_before_it_holds() -> None:
    order = [Role.FIELD_AGENT, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN]
    for lower, higher in zip(order, order[1:], strict=False):
        assert perms.ROLE_PERMISSIONS[lower] < perms.ROLE_PERMISSIONS[higher], (lower, higher)
