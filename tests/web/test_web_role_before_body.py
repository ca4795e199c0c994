"""A caller refused by a route's role learns nothing of the body it expects.

FastAPI validates a declared body model before the endpoint runs, and the use cases check the
role inside the endpoint: a supervisor posting a malformed body to a route only administrators
may use got the 422 describing the body's fields (outside review, 2026-12-07). Each such route
now checks the role first (``web.deps.permission`` among its dependencies, or the check before
the body is read by hand). This walks every state-changing native API route whose need is a
permission of the registry, as a caller without it, with bodies of the wrong shape.
"""

from __future__ import annotations

import re

import pytest

from tests.web.test_web_access_every_route import AGENTS, ROUTES
from vigie.accounts.permissions import PERMISSIONS, allows

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Bodies of the wrong shape (well-formed JSON: a JSON syntax error tells nothing of the shape).
MALFORMED = ("[1]", '{"unexpected": [1], "status": {}}', '"text"')


def _refused_routes() -> list[tuple[str, str, str]]:
    """(method, path, permission) of every state-changing native API route that needs one."""
    found = []
    for key, row in ROUTES.items():
        method, path = key.split(" ", 1)
        if method in STATE_CHANGING and path.startswith("/api/v1/") and row.needs in PERMISSIONS:
            found.append((method, path, row.needs))
    return found


def _refused_role(permission: str) -> str | None:
    """A role without ``permission``: the one with most rights that still lacks it."""
    lacking = [name for name, role in AGENTS.items() if not allows(role, permission)]
    return lacking[-1] if lacking else None


def test_web_role_before_body_the_walk_finds_the_routes() -> None:
    assert len(_refused_routes()) > 40, "the walk over ROUTES finds too few routes: out of date"


@pytest.mark.parametrize(("method", "path", "permission"), _refused_routes(), ids=lambda x: str(x))
def test_web_role_before_body_a_refused_caller_gets_401_or_403(client, auth, method, path, permission):  # type: ignore[no-untyped-def]
    url = re.sub(r"\{[^}]+\}", "1", path)
    callers: list[tuple[str, dict[str, str], int]] = [("anonymous", {}, 401)]
    role = _refused_role(permission)
    if role is not None:
        callers.append((role, auth(role), 403))
    wrong = []
    for caller, headers, expected in callers:
        for body in MALFORMED:
            r = client.request(
                method, url, content=body, headers={**headers, "content-type": "application/json"}
            )
            if r.status_code != expected:
                wrong.append(f"{caller} sending {body}: {r.status_code} {r.text[:160]}")
    assert not wrong, f"{method} {path} ({permission}):\n" + "\n".join(wrong)
