"""Agent roles and what each may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    FIELD_AGENT = "field_agent"
    ADMIN = "admin"


# Permission -> roles holding it. Checked server-side on every agent action.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "reports.read": frozenset(Role),
    "reports.triage": frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    "reports.work": frozenset(Role),
    "reports.merge": frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    "reports.intake": frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
    "stats.read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "assets.manage": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "assets.status": frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}),
}


@dataclass(frozen=True)
class Agent:
    id: int
    email: str
    name: str
    role: Role
    team: str

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    @property
    def label(self) -> str:
        return self.name or self.email

    @property
    def is_system(self) -> bool:
        return self.id == 0


# The platform itself acting (an alarm clearing resolves linked reports…).
# It has no users row: audit and history entries record it with a NULL user id.
SYSTEM = Agent(id=0, email="system@vigie", name="Vigie (automatique)", role=Role.ADMIN, team="")
