"""Service suggestion from free text (e-mail and phone intake), and how well it does.

The model is trained from the history kept in the reports' table
(:func:`vigie.reports.lookups.chosen_services`) and kept per platform for
``VIGIE_TRIAGE_RETRAIN_MINUTES``: a few tens of thousands of reports train in
well under a second, so there is nothing to store or migrate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from vigie.catalogue.domain import Service
from vigie.reports.lookups import chosen_services
from vigie.runtime import Vigie
from vigie.triage.domain import (
    Accuracy,
    KeywordRanker,
    LearnedRanker,
    Suggestion,
    accuracy,
)

HELD_OUT_EVERY = 5  # one report in five (by id) is kept out of training by `evaluate`


@dataclass
class TrainedRanker:
    model: LearnedRanker
    keywords: KeywordRanker
    trained_at: float
    reports: int


def suggestable(v: Vigie) -> list[Service]:
    """Services a resident's text may be filed under (not the agents' own)."""
    return v.catalogue.resident_services()


def _history(v: Vigie) -> list[tuple[int, str, str]]:
    with v.db.session() as s:
        return chosen_services(s, v.settings.triage_history_limit)


def train(v: Vigie) -> TrainedRanker:
    services = suggestable(v)
    history = _history(v)
    model = LearnedRanker.train(services, ((text, code) for _, text, code in history))
    return TrainedRanker(model, KeywordRanker(services), time.monotonic(), len(history))


def ranker(v: Vigie) -> TrainedRanker:
    """The platform's trained ranker, trained again once it is older than the setting."""
    current = v.caches.service_ranker
    age = v.settings.triage_retrain_minutes * 60
    if current is None or time.monotonic() - current.trained_at >= age:
        current = v.caches.service_ranker = train(v)
    return current


def suggest(v: Vigie, text: str, k: int = 3) -> list[Suggestion]:
    """The ``k`` services ``text`` most likely is about, best first.

    The learned model answers; when the text has no word it ever saw, the
    catalogue's keywords do; an empty list when neither finds anything.
    """
    trained = ranker(v)
    found = trained.model.rank(text, k)
    return found or trained.keywords.rank(text, k)


@dataclass(frozen=True)
class Evaluation:
    trained_on: int
    learned: Accuracy
    keywords: Accuracy


def evaluate(v: Vigie) -> Evaluation:
    """Top-1 and top-3 accuracy on held-out history: learned model vs keywords only.

    One report in :data:`HELD_OUT_EVERY` (by id, so the split is the same at
    every run) is held out; the model learns from the others and the catalogue.
    """
    services = suggestable(v)
    known = {s.code for s in services}
    history = [(i, text, code) for i, text, code in _history(v) if code in known]
    held = [(text, code) for i, text, code in history if i % HELD_OUT_EVERY == 0]
    train_on = [(text, code) for i, text, code in history if i % HELD_OUT_EVERY != 0]
    model = LearnedRanker.train(services, train_on)
    return Evaluation(len(train_on), accuracy(model.rank, held), accuracy(KeywordRanker(services).rank, held))


__all__ = ["Evaluation", "TrainedRanker", "evaluate", "ranker", "suggest", "suggestable", "train"]
