"""Domain events: what happened, with a public and an agent view."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    """A change that clients may want to see live.

    ``payload`` holds only public-safe fields (what the reporter's tracking page
    may show); ``agent`` adds what only agents may see. ``public`` says whether
    the report may appear on public pages at all (sensitive services never do).
    ``report_ids`` lists every report whose followers care (a merge concerns
    both the kept report and the duplicate).
    """

    type: str
    report_ids: tuple[int, ...]
    public: bool
    payload: dict[str, Any]
    agent: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, text: str) -> DomainEvent:
        data = json.loads(text)
        data["report_ids"] = tuple(data["report_ids"])
        return cls(**data)

    def view(self, audience: str) -> dict[str, Any]:
        if audience == "agent":
            return {**self.payload, **self.agent}
        return dict(self.payload)
