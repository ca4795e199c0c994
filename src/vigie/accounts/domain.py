"""Agents (what each role may do is in accounts/permissions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from vigie.accounts.permissions import Role, allows

__all__ = ["SYSTEM", "Agent", "Role"]


@dataclass(frozen=True)
class Agent:
    id: int
    email: str
    name: str
    role: Role
    team: str

    def can(self, permission: str) -> bool:
        return allows(self.role, permission)

    @property
    def label(self) -> str:
        return self.name or self.email

    @property
    def is_system(self) -> bool:
        return self.id == 0


# The platform itself acting (an alarm clearing resolves linked reports…).
# It has no users row: audit and history entries record it with a NULL user id.
SYSTEM = Agent(id=0, email="system@vigie", name="Vigie (automatique)", role=Role.ADMIN, team="")
