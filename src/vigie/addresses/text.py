"""Address text: folding, tokens, abbreviations, house numbers and display case.

The same folding is applied to what is indexed and to what people type, so
"Av. de la Liberté", "avenue de la liberte" and "AV LIBERTE" meet on the
tokens ``avenue liberte``. Plain functions, no database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Abbreviations people type (and some files use), as whole words. "st" is
# "saint" in addresses; "r" is "rue". Expanded on both sides of the index.
ABBREVIATIONS: dict[str, str] = {
    "all": "allee",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "bvd": "boulevard",
    "boul": "boulevard",
    "ch": "chemin",
    "che": "chemin",
    "chem": "chemin",
    "crs": "cours",
    "dr": "docteur",
    "fg": "faubourg",
    "fbg": "faubourg",
    "gal": "general",
    "gen": "general",
    "imp": "impasse",
    "lt": "lieutenant",
    "mal": "marechal",
    "pdt": "president",
    "pl": "place",
    "prom": "promenade",
    "pte": "porte",
    "qu": "quai",
    "r": "rue",
    "rte": "route",
    "rpt": "rond point",
    "sq": "square",
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
}

# Words that say nothing about which street it is: never indexed, ignored in queries.
STOP_WORDS = frozenset(
    {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sous", "sur"}
)

# Display: lower-case particles inside a name ("Rue de la Paix", "Quai d'Orléans").
_PARTICLES = frozenset(STOP_WORDS | {"à"})

_TOKEN = re.compile(r"[a-z0-9]+")
# "12", "12bis", "12 b", "3ter": a house number and its repetition index.
_NUMBER = re.compile(r"^(\d{1,5})\s*(bis|ter|quater|quinquies|[a-z])?$")
_REP_WORDS = frozenset({"bis", "ter", "quater", "quinquies"})


def fold(text: str) -> str:
    """Lower case, no accents, ``œ`` as ``oe``; punctuation left for :func:`tokens`."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c))


# Common words of French street names, with their accents: files in capitals
# ("RUE DE LA REPUBLIQUE") lost them. Only words with a single accented spelling.
_ACCENTED_WORDS = (
    "allée allées ampère armée bâtiment carré cathédrale château châteaux chênes cité clémenceau "
    "côte côtes croisée défense dôle écluse école écoles édouard église élisabeth élysée émile "
    "égalité épine étang étienne eugène faïencerie félix forêt française français fraternité "
    "frédéric frères général généraux geneviève gérard grésilles hélène hôpital hôtel jaurès "
    "jérôme josé léon libération liberté lycée maréchal marché mérimée musée noël pépinière "
    "périphérique poincaré prés préfecture première président prieuré québec république "
    "rivière sévigné théâtre thérèse université valéry vallée vélodrome zénith"
)
_ACCENTED = {fold(w): w for w in _ACCENTED_WORDS.split()}


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for w in _TOKEN.findall(fold(text)):
        out.extend(ABBREVIATIONS.get(w, w).split())
    return tuple(out)


def words(text: str) -> list[str]:
    """Folded words with abbreviations expanded ("Av. St-Michel" -> avenue saint michel).

    Memoised: a file names the same streets and communes again and again.
    """
    return list(_words(text))


def index_tokens(*parts: str) -> list[str]:
    """The distinct tokens a place is found by (stop words left out), in order."""
    seen: dict[str, None] = {}
    for part in parts:
        for w in words(part):
            if w not in STOP_WORDS:
                seen.setdefault(w, None)
    return list(seen)


def key(text: str) -> str:
    """A name's identity for grouping: "RUE DU CHATEAU" and "Rue du Château" are one street."""
    return " ".join(words(text))


@dataclass(frozen=True)
class HouseNumber:
    number: int
    rep: str = ""  # "bis", "ter", "a", "b"…

    @property
    def label(self) -> str:
        if not self.rep:
            return str(self.number)
        return f"{self.number} {self.rep}" if self.rep in _REP_WORDS else f"{self.number} {self.rep.upper()}"


def parse_housenumber(raw: str | None) -> HouseNumber | None:
    """A house number as files write it: "3bis", "36 B", "12 Bis", "1-3", "17/19", "32  34".

    A range keeps its first number (one point per address, as the BAN does).
    """
    if raw is None:
        return None
    text = fold(str(raw)).strip()
    text = re.split(r"\s*[-/,]\s*|\s{2,}|\s+(?=\d)", text, maxsplit=1)[0]
    m = _NUMBER.match(text.strip())
    if not m or int(m.group(1)) == 0:
        return None
    return HouseNumber(int(m.group(1)), m.group(2) or "")


def proper_case(name: str) -> str:
    """Display case for names written in capitals: "RUE DE LA 1ERE ARMEE FRANCAISE" ->
    "Rue de la 1ere Armée Française", "RUE D'YORK" -> "Rue d'York"."""
    if name != name.upper():
        return name  # already mixed case: trust the file
    out: list[str] = []
    for i, word in enumerate(name.lower().split()):
        out.append("-".join(_proper_word(part, i == 0 and j == 0) for j, part in enumerate(word.split("-"))))
    return " ".join(out)


def _proper_word(word: str, first: bool) -> str:
    if "'" in word or "’" in word:
        head, _, tail = word.replace("’", "'").partition("'")
        head = head if not first else head.capitalize()
        return f"{head}'{_proper_word(tail, False)}" if tail else head
    if not first and word in _PARTICLES:
        return word
    if word[:1].isdigit():
        return word  # "1ere", "26eme"
    word = _ACCENTED.get(word, word)
    return word[:1].upper() + word[1:]


@dataclass(frozen=True)
class Term:
    """One word of a query: matched whole, or as a prefix (the word being typed)."""

    text: str
    prefix: bool = False
    alternatives: tuple[str, ...] = ()  # whole words that also match ("st" -> "saint")


@dataclass(frozen=True)
class ParsedQuery:
    housenumber: HouseNumber | None
    terms: tuple[Term, ...]


def parse_query(q: str) -> ParsedQuery:
    """Split what someone typed into a house number and terms.

    The last word is a prefix unless the text ends with a space (still typing
    it); stop words are dropped; a leading number is the house number when
    words follow it ("12 liberte", "12bis rue…", "12 bis rue…").
    """
    raw = _TOKEN.findall(fold(q))
    typing = bool(q) and not q[-1].isspace()
    housenumber = None
    if len(raw) >= 2:
        first = raw[0]
        if raw[1] in _REP_WORDS and first.isdigit() and len(raw) >= 3:
            housenumber = parse_housenumber(f"{first} {raw[1]}")
            raw = raw[2:] if housenumber else raw
        elif len(first) < 5 or not first.isdigit():
            housenumber = parse_housenumber(first) if first[:1].isdigit() else None
            raw = raw[1:] if housenumber else raw
    terms: list[Term] = []
    for i, w in enumerate(raw):
        last = typing and i == len(raw) - 1
        expanded = ABBREVIATIONS.get(w)
        if last:
            if w in STOP_WORDS and len(raw) > 1:
                continue
            alts = tuple(expanded.split()[:1]) if expanded else ()
            terms.append(Term(w, prefix=True, alternatives=alts))
            continue
        for part in (expanded or w).split():
            if part not in STOP_WORDS:
                terms.append(Term(part))
    return ParsedQuery(housenumber, tuple(terms))


__all__ = [
    "ABBREVIATIONS",
    "STOP_WORDS",
    "HouseNumber",
    "ParsedQuery",
    "Term",
    "fold",
    "index_tokens",
    "key",
    "parse_housenumber",
    "parse_query",
    "proper_case",
    "words",
]
