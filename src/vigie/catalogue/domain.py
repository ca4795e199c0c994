"""The service catalogue: what residents can report and how the city treats it.

Plain data, no I/O. A :class:`Catalogue` is immutable once built; reloading a
file builds a new one and swaps it in only when it is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

# Per service code, the attribute codes whose answers agents alone see (Catalogue.private_answers).
PrivateAnswers = tuple[tuple[str, tuple[str, ...]], ...]


class Datatype(StrEnum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


@dataclass(frozen=True)
class Text:
    """A text in the city's languages; falls back to French then any language."""

    values: dict[str, str]

    def get(self, lang: str = "fr") -> str:
        if lang in self.values:
            return self.values[lang]
        if "fr" in self.values:
            return self.values["fr"]
        return next(iter(self.values.values()), "")


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: Text


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: Datatype
    required: bool
    description: Text
    order: int
    variable: bool = True
    datatype_description: Text | None = None
    values: tuple[AttributeValue, ...] = ()
    # False: the answer is for agents only (a registration plate, a name), never in a public view
    # of the report, whatever the city's publication policy shows of the rest.
    public: bool = True

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(v.key for v in self.values)


@dataclass(frozen=True)
class Group:
    code: str
    name: Text
    icon: str = ""


@dataclass(frozen=True)
class Service:
    code: str
    group: str
    name: Text
    description: Text
    keywords: tuple[str, ...] = ()
    public: bool = True
    # Agents' own services (found on patrol, requested by another department): residents never
    # see them, neither in the lists nor through Open311, and their reports are never public.
    agents_only: bool = False
    default_priority: Priority = Priority.NORMAL
    duplicate_radius_m: float = 50.0
    type: str = "realtime"
    attributes: tuple[Attribute, ...] = ()

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)

    def attribute(self, code: str) -> Attribute | None:
        for a in self.attributes:
            if a.code == code:
                return a
        return None

    @cached_property
    def private_answers(self) -> frozenset[str]:
        """Codes of the attributes whose answers agents alone see."""
        return frozenset(a.code for a in self.attributes if not a.public)


@dataclass(frozen=True)
class Team:
    code: str
    name: Text
    email: str = ""


@dataclass(frozen=True)
class Sla:
    hours: float
    business_hours: bool = False


@dataclass(frozen=True)
class Condition:
    """Matches when a report's attribute equals one of ``values``."""

    attribute: str
    values: frozenset[str]

    def matches(self, attributes: dict[str, object]) -> bool:
        value = attributes.get(self.attribute)
        if value is None:
            return False
        if isinstance(value, list | tuple):
            return any(str(v) in self.values for v in value)
        return str(value) in self.values


@dataclass(frozen=True)
class Procedure:
    """A treatment procedure: who handles a report, how fast, and what to say."""

    id: str
    team: str
    sla: Sla
    priority: Priority | None
    service: str | None = None
    group: str | None = None
    zone: str | None = None
    condition: Condition | None = None
    steps: tuple[str, ...] = ()
    messages: dict[str, Text] = field(default_factory=dict)

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Higher wins: exact service beats group beats any; zone; condition."""
        s = 2 if self.service else (1 if self.group else 0)
        z = 1 if self.zone else 0
        c = 1 if self.condition else 0
        return (s, z, c)

    def message(self, status: str, lang: str) -> str | None:
        text = self.messages.get(status)
        return text.get(lang) if text else None


@dataclass(frozen=True)
class Catalogue:
    groups: dict[str, Group]
    services: dict[str, Service]
    teams: dict[str, Team]
    procedures: tuple[Procedure, ...]
    source: str = ""
    _index: dict[tuple[str, str], list[Procedure]] = field(default_factory=dict, repr=False)
    _by_id: dict[str, Procedure] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update((p.id, p) for p in self.procedures)

    def service(self, code: str) -> Service | None:
        return self.services.get(code)

    @cached_property
    def private_answers(self) -> PrivateAnswers:
        """Per service, in code order, the attribute codes whose answers agents alone see: the
        public views' SQL removes them (hashable, so that it can key a kept statement)."""
        return tuple(
            (code, tuple(sorted(s.private_answers)))
            for code, s in sorted(self.services.items())
            if s.private_answers
        )

    def public_answers(self, service_code: str, answers: dict[str, Any] | None) -> dict[str, Any]:
        """``answers`` without those agents alone see."""
        service = self.services.get(service_code)
        private = service.private_answers if service else frozenset()
        return {k: v for k, v in (answers or {}).items() if k not in private}

    def procedure(self, procedure_id: str) -> Procedure | None:
        return self._by_id.get(procedure_id)

    def public_services(self) -> list[Service]:
        return [s for s in self.services.values() if s.public]

    def resident_services(self) -> list[Service]:
        """What residents may choose (app, web form, Open311): every service but the agents' own."""
        return [s for s in self.services.values() if not s.agents_only]

    def resolve(self, service_code: str, zone: str, attributes: dict[str, object] | None = None) -> Procedure:
        """The procedure for a report: the most specific rule that matches."""
        from vigie.catalogue.procedures import resolve

        return resolve(self, service_code, zone, attributes or {})
