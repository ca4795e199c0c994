"""The staff's view of every dataset's releases (/donnees/gestion/publications): the latest
release and its status (published, or blocked and why), a proposal under review, the schedule
and when the next release is due, a build under way, and the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie.errors import ValidationFailed
from vigie.opendata.building import building_since
from vigie.opendata.domain import FREQUENCIES, Dataset
from vigie.opendata.queries import all_datasets, releases
from vigie.opendata.review import proposals
from vigie.opendata.sources import source_of
from vigie.opendata.storage import ReleaseRow
from vigie.runtime import Vigie

HISTORY = 20


@dataclass(frozen=True)
class Entry:
    dataset: Dataset
    source_fr: str
    source_en: str
    latest: ReleaseRow | None  # the latest attempt, published or blocked
    published: ReleaseRow | None  # the latest published release
    under_review: bool  # a proposal (new dataset or changed rules) awaits the committee
    frequency_days: int | None  # None: on demand only
    next_due: datetime | None  # when the schedule builds the next one (None: never by itself)
    building_since: datetime | None
    history: list[ReleaseRow]

    @property
    def releasable(self) -> bool:
        return self.dataset.rules is not None

    def source(self, lang: str) -> str:
        return self.source_en if lang == "en" else self.source_fr


def release_board(v: Vigie, now: datetime) -> list[Entry]:
    """Every dataset, built-in and uploaded, as the staff's releases page shows it."""
    open_ = {p.dataset_id for p in proposals(v) if p.status == "open"}
    out = []
    for d in all_datasets(v):
        rows = releases(v, d.id)
        published = next((r for r in rows if r.status == "published"), None)
        days = FREQUENCIES.get(d.metadata.frequency)
        due = None
        if days is not None and d.rules is not None:
            due = now if published is None else max(now, published.created_at + timedelta(days=days))
        try:
            source = source_of(d.source)
            labels = (source.fr or d.source, source.en or d.source)
        except ValidationFailed:  # a source no longer registered: its kind is still worth showing
            labels = (d.source, d.source)
        out.append(
            Entry(
                d,
                labels[0],
                labels[1],
                rows[0] if rows else None,
                published,
                d.id in open_,
                days,
                due,
                building_since(v, d.id),
                rows[:HISTORY],
            )
        )
    return out
