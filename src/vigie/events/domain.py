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

    def encoded(self, audience: str) -> bytes:
        """The SSE frame for an audience, built once however many clients receive it."""
        cache: dict[str, bytes] = self.__dict__.setdefault("_frames", {})
        frame = cache.get(audience)
        if frame is None:
            data = json.dumps(self.view(audience), separators=(",", ":"), default=str)
            frame = f"id: {self.id}\nevent: {self.type}\ndata: {data}\n\n".encode()
            cache[audience] = frame
        return frame

    def view(self, audience: str) -> dict[str, Any]:
        if audience == "agent":
            return {**self.payload, **self.agent}
        return dict(self.payload)
