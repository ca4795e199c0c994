"""Which service a free text is about: plain Python, no I/O.

Two rankers over the same folded words:

- :class:`KeywordRanker`, the baseline: the catalogue's own words (a service's
  names and keywords) found in the text, as the phone intake's search matches
  them;
- :class:`LearnedRanker`, a multinomial naive Bayes over words and pairs of
  words, trained on the city's history (the text a resident wrote, the service
  the operators finally chose), with each service's catalogue words counted as
  a few documents of its own, so that a service nobody used yet can still be
  suggested.

Naive Bayes is used because it trains in one pass over counts, needs no tuning
to beat a keyword match on short texts, and its model is a table of counts that
can be read and checked; no library brings anything here that the counts don't.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from vigie.catalogue.domain import Service

# Words that say nothing of a service, in the city's two languages (folded).
STOPWORDS = frozenset(
    {
        "les",
        "des",
        "une",
        "un",
        "le",
        "la",
        "de",
        "du",
        "et",
        "en",
        "au",
        "aux",
        "ce",
        "ces",
        "cet",
        "cette",
        "il",
        "elle",
        "ils",
        "elles",
        "on",
        "nous",
        "vous",
        "je",
        "tu",
        "est",
        "sont",
        "ont",
        "a",
        "ai",
        "avait",
        "avons",
        "etait",
        "ete",
        "sur",
        "sous",
        "dans",
        "par",
        "pour",
        "avec",
        "sans",
        "pas",
        "plus",
        "tres",
        "tout",
        "tous",
        "toute",
        "toutes",
        "mais",
        "ou",
        "donc",
        "car",
        "que",
        "qui",
        "quoi",
        "dont",
        "quand",
        "comme",
        "depuis",
        "entre",
        "vers",
        "chez",
        "leur",
        "leurs",
        "mon",
        "ma",
        "mes",
        "ton",
        "ta",
        "tes",
        "son",
        "sa",
        "ses",
        "notre",
        "nos",
        "votre",
        "vos",
        "bonjour",
        "merci",
        "cordialement",
        "madame",
        "monsieur",
        "svp",
        "bien",
        "fait",
        "faire",
        "peut",
        "etre",
        "aussi",
        "encore",
        "deja",
        "ici",
        "cela",
        "ceci",
        "ca",
        "y",
        "the",
        "and",
        "for",
        "with",
        "this",
        "that",
        "there",
        "from",
        "have",
        "has",
        "had",
        "are",
        "was",
        "were",
        "been",
        "not",
        "but",
        "you",
        "your",
        "our",
        "their",
        "they",
        "them",
        "its",
        "it's",
        "into",
        "onto",
        "near",
        "please",
        "thanks",
        "hello",
        "regards",
    }
)

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes and hyphens as spaces."""
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


def _stem(word: str) -> str:
    # Plural and feminine endings, enough for short reports in French and English.
    for end in ("aux", "eaux"):
        if word.endswith(end) and len(word) > len(end) + 2:
            return word[: -len(end)] + "al"
    if len(word) > 4 and word[-1] in "sx":
        word = word[:-1]
    if len(word) > 5 and word.endswith("e"):
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    return [
        _stem(w) for w in _WORD.findall(fold(text)) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()
    ]


def features(text: str) -> list[str]:
    """Words and adjacent pairs of words ("nid poule", "feu tricolore")."""
    ws = words(text)
    return ws + [f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False)]


def catalogue_text(service: Service) -> str:
    names = " ".join(service.name.values.values())
    return " ".join([names, *service.keywords])


@dataclass(frozen=True)
class Suggestion:
    service_code: str
    score: float


class KeywordRanker:
    """Services ranked by how many of their catalogue words the text holds (the baseline)."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = list(services)
        self._terms = {
            s.code: {t for t in (" ".join(words(k)) for k in (*s.name.values.values(), *s.keywords)) if t}
            for s in self.services
        }

    def rank(self, text: str, k: int = 3) -> list[Suggestion]:
        padded = f" {' '.join(words(text))} "
        scored = []
        for order, s in enumerate(self.services):
            hits = sum(1 for t in self._terms[s.code] if f" {t} " in padded)
            if hits:
                scored.append((-hits, order, s.code))
        scored.sort()
        return [Suggestion(code, float(-neg)) for neg, _, code in scored[:k]]


@dataclass
class LearnedRanker:
    """Multinomial naive Bayes with Laplace smoothing (``alpha``) over :func:`features`."""

    alpha: float = 0.1
    class_docs: Counter[str] = field(default_factory=Counter)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    vocabulary: set[str] = field(default_factory=set)

    @classmethod
    def train(
        cls,
        services: Sequence[Service],
        history: Iterable[tuple[str, str]],
        catalogue_weight: int = 3,
        alpha: float = 0.1,
    ) -> LearnedRanker:
        """``history``: (text, service code) pairs; codes not in ``services`` are skipped."""
        model = cls(alpha=alpha)
        known = {s.code for s in services}
        for s in services:
            model.counts[s.code] = Counter()
            # The catalogue's words start every service off, as a few documents.
            for _ in range(catalogue_weight):
                model._add(s.code, features(catalogue_text(s)))
        for text, code in history:
            if code in known:
                model._add(code, features(text))
        return model

    def _add(self, code: str, feats: list[str]) -> None:
        self.class_docs[code] += 1
        self.counts[code].update(feats)
        self.totals[code] += len(feats)
        self.vocabulary.update(feats)

    @property
    def documents(self) -> int:
        return sum(self.class_docs.values())

    def rank(self, text: str, k: int = 3) -> list[Suggestion]:
        feats = [f for f in features(text) if f in self.vocabulary]
        if not feats:
            return []
        n = self.documents
        v = len(self.vocabulary)
        scored = []
        for code, docs in self.class_docs.items():
            c = self.counts[code]
            denom = math.log(self.totals[code] + self.alpha * v)
            score = math.log(docs / n) + sum(math.log(c[f] + self.alpha) - denom for f in feats)
            scored.append((score, code))
        scored.sort(key=lambda p: (-p[0], p[1]))
        return [Suggestion(code, score) for score, code in scored[:k]]


@dataclass(frozen=True)
class Accuracy:
    cases: int
    top1: int
    top3: int

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.cases if self.cases else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.cases if self.cases else 0.0


def accuracy(rank: object, cases: Sequence[tuple[str, str]]) -> Accuracy:
    """How often the chosen service is first, or among the first three, of ``rank(text)``."""
    top1 = top3 = 0
    for text, code in cases:
        got = [s.service_code for s in rank(text, 3)]  # type: ignore[operator]
        top1 += bool(got) and got[0] == code
        top3 += code in got
    return Accuracy(len(cases), top1, top3)


__all__ = [
    "Accuracy",
    "KeywordRanker",
    "LearnedRanker",
    "Suggestion",
    "accuracy",
    "features",
    "fold",
    "words",
]
