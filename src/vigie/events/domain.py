"""Domain events: what happened, with a public and an agent view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

# Same output as json.dumps(..., default=str): datetimes and other objects as str().
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=_OPTIONS).decode()


# What anyone holding a tracking token may see of any report, even a non-public one
# (the "restricted" audience; see vigie.reports.tracking): no text, place or photo.
RESTRICTED_FIELDS = (
    "id",
    "reference",
    "status",
    "open311_status",
    "duplicate_of",
    "requested_at",
    "updated_at",
    "expected_at",
    "closed_at",
)


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
        # orjson: every event crosses the PostgreSQL bus as JSON, once out and once back
        # into each worker; the standard library's encoder and decoder cost 6 % of a
        # submission's interpreter time there.
        return _dumps(
            {
                "type": self.type,
                "report_ids": list(self.report_ids),
                "public": self.public,
                "payload": self.payload,
                "agent": self.agent,
                "id": self.id,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> DomainEvent:
        data = orjson.loads(text)
        data["report_ids"] = tuple(data["report_ids"])
        return cls(**data)

    def encoded(self, audience: str) -> bytes:
        """The SSE frame for an audience, built once however many clients receive it."""
        cache: dict[str, bytes] = self.__dict__.setdefault("_frames", {})
        frame = cache.get(audience)
        if frame is None:
            data = _dumps(self.view(audience))
            frame = f"id: {self.id}\nevent: {self.type}\ndata: {data}\n\n".encode()
            cache[audience] = frame
        return frame

    def view(self, audience: str) -> dict[str, Any]:
        if audience == "agent":
            return {**self.payload, **self.agent}
        if audience == "restricted":
            out = {k: self.payload[k] for k in RESTRICTED_FIELDS if k in self.payload}
            out["restricted"] = True
            return out
        return dict(self.payload)
