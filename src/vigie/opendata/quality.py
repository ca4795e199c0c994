"""A dataset's quality score: what a reuser checks first, out of 100.

Five criteria, each with its share: open formats (20), documentation (25),
freshness (20), licence (15), spatial coverage (20). Each criterion says what
it found, so the portal can show why a dataset has the score it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vigie.opendata.domain import FREQUENCIES, LICENCES, ColumnKind, Dataset


@dataclass(frozen=True)
class Criterion:
    code: str  # formats, documentation, freshness, licence, spatial
    points: int
    out_of: int


@dataclass(frozen=True)
class Quality:
    criteria: tuple[Criterion, ...]

    @property
    def score(self) -> int:
        return sum(c.points for c in self.criteria)


def quality(dataset: Dataset, last_release: datetime | None, now: datetime) -> Quality:
    m = dataset.metadata
    cols = dataset.published_columns
    # Every release is Parquet, and the access layers export CSV, JSON and GeoJSON from it.
    formats = 20 if last_release is not None else 0
    documentation = (
        (10 if len(m.description_fr) >= 80 else 5 if m.description_fr else 0)
        + (5 if m.title_en and m.description_en else 0)
        + (10 if cols and all(c.fr for c in cols) else 5 if any(c.fr for c in cols) else 0)
    )
    days = FREQUENCIES.get(m.frequency)
    if last_release is None:
        freshness = 0
    elif days is None:
        # An irregular dataset is fresh when its series is closed (a known end) or recent.
        freshness = 20 if m.temporal_end is not None or (now - last_release).days <= 366 else 10
    else:
        age = (now - last_release).total_seconds() / 86400
        freshness = 20 if age <= days * 1.5 else 10 if age <= days * 3 else 0
    licence = 15 if m.licence in LICENCES else 0
    located = dataset.geometry is not None or any(
        c.kind == ColumnKind.CATEGORY and c.name in ("commune", "zone") for c in cols
    )
    spatial = (5 if m.spatial else 0) + (5 if m.spatial_bbox else 0) + (10 if located else 0)
    return Quality(
        (
            Criterion("formats", formats, 20),
            Criterion("documentation", documentation, 25),
            Criterion("freshness", freshness, 20),
            Criterion("licence", licence, 15),
            Criterion("spatial", spatial, 20),
        )
    )
