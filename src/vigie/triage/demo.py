"""Generated residents' texts for the demo's history (illustrative, not real reports).

No city history is at hand, so the Dijon demo writes each report's text from
its service's catalogue description: a clause of it, reworded the way people
write, sometimes with one of the catalogue's keywords, a place and a closing.
Service suggestion learns from these as it would from a real history; its
figures on them (`vigie triage evaluate`) only show that the machinery works.
"""

from __future__ import annotations

import random
import re

from vigie.catalogue.domain import Service

OPENERS = [
    "Bonjour, ",
    "Bonjour, je vous signale ",
    "Je voudrais signaler ",
    "Signalement : ",
    "",
    "Hello, I would like to report ",
]
PLACES = [
    "devant le n° {n}",
    "au coin de la rue",
    "près de l'école",
    "à côté de l'arrêt de tram",
    "en face de la boulangerie",
    "dans ma rue",
    "sur le parking",
    "",
]
CLOSINGS = [
    "Merci d'intervenir.",
    "C'est dangereux.",
    "Cela dure depuis une semaine.",
    "Plusieurs voisins l'ont remarqué.",
    "",
]


def _clauses(service: Service) -> list[str]:
    parts: list[str] = []
    for text in service.description.values.values():
        parts += [p.strip(" .") for p in re.split(r"[.;,:!?()]", text) if len(p.strip()) > 12]
    return parts or [service.name.get("fr")]


def demo_text(service: Service, rng: random.Random) -> str:
    clause = rng.choice(_clauses(service)).lower()
    words = clause.split()
    if len(words) > 6:  # people rarely write a whole sentence of the catalogue
        start = rng.randint(0, len(words) - 5)
        clause = " ".join(words[start : start + rng.randint(4, 8)])
    keyword = f" ({rng.choice(service.keywords)})" if service.keywords and rng.random() < 0.35 else ""
    place = rng.choice(PLACES).format(n=rng.randint(1, 120))
    text = f"{rng.choice(OPENERS)}{clause}{keyword} {place}. {rng.choice(CLOSINGS)}"
    return re.sub(r"\s+", " ", text).strip()


__all__ = ["demo_text"]
