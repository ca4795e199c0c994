"""The operations log (main courante): services, entry rules, shifts, the shift summary.

One timeline for every service of the control centre. Entries are never changed
or deleted: a mistake is put right by a new entry that references the old one
(``corrects_id``), so the log reads as it was written at each moment.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from vigie.errors import ValidationFailed

if TYPE_CHECKING:
    from vigie.city.profile import CityProfile

# The services of the control centre: code -> (French, English).
SERVICES: dict[str, tuple[str, str]] = {
    "control": ("Salle de supervision", "Control room"),
    "reports": ("Signalements des habitants", "Residents' reports"),
    "lighting": ("Éclairage public", "Public lighting"),
    "video": ("Vidéoprotection", "Video protection"),
    "traffic": ("Régulation du trafic", "Traffic regulation"),
    "winter": ("Viabilité hivernale (PC neige)", "Winter service"),
}
# Services that are an optional module of the city's profile (city.yaml `modules`).
SERVICE_MODULES = {
    "lighting": "lighting",
    "video": "videoprotection",
    "traffic": "traffic",
    "winter": "winter",
}


def services_in_use(city: CityProfile) -> dict[str, tuple[str, str]]:
    """The services an entry can be written for: those of the modules the city does not use
    are not offered (entries already written under them keep their name)."""
    return {
        c: names for c, names in SERVICES.items() if c not in SERVICE_MODULES or city.uses(SERVICE_MODULES[c])
    }


SEVERITIES: dict[str, tuple[str, str]] = {
    "info": ("Information", "Information"),
    "notable": ("Important", "Notable"),
    "urgent": ("Urgent", "Urgent"),
}
MANUAL = "note"  # the kind of an entry typed by an operator
CORRECTION = "correction"
TEXT_MAX = 4000
KIND_MAX = 64
REF_MAX = 64


def check_service(service: str) -> str:
    if service not in SERVICES:
        raise ValidationFailed(
            f"unknown service '{service}' (expected one of {', '.join(SERVICES)})", field="service"
        )
    return service


def check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise ValidationFailed(
            f"unknown severity '{severity}' (expected one of {', '.join(SEVERITIES)})", field="severity"
        )
    return severity


def check_text(text: str, name: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("an entry needs a text", field=name)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"at most {TEXT_MAX} characters ({len(text)} given)", field=name)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise ValidationFailed("control characters are not allowed", field=name)
    return text


def fold(text: str) -> str:
    """Lower case without accents: what a search compares ("Neige" finds "neigé")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(*parts: str) -> str:
    return fold(" ".join(p for p in parts if p))


# --- shifts ------------------------------------------------------------------------------


def parse_shift_starts(spec: str) -> tuple[time, ...]:
    """``"06:00,14:00,22:00"`` -> the local times at which a shift begins (sorted)."""
    starts = []
    for part in spec.split(","):
        part = part.strip()
        try:
            starts.append(time.fromisoformat(part))
        except ValueError:
            raise ValueError(f"not a time of day (HH:MM): {part!r}") from None
    if not starts:
        raise ValueError("at least one shift start is needed")
    return tuple(sorted(set(starts)))


def shift_around(at: datetime, starts: tuple[time, ...], tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The shift (start, end) that contains ``at``, in UTC-aware datetimes.

    Shift starts are local wall-clock times, so a shift across a change of
    daylight saving time lasts an hour more or less, as on the rota.
    """
    local = at.astimezone(tz)
    candidates = []
    for day in (local.date() - timedelta(days=1), local.date(), local.date() + timedelta(days=1)):
        for t in starts:
            candidates.append(datetime.combine(day, t, tzinfo=tz))
    candidates.sort()
    begin = max(c for c in candidates if c <= local)
    end = min(c for c in candidates if c > local)
    # In UTC: subtracting two datetimes of one zone counts wall-clock hours, not elapsed ones.
    return begin.astimezone(UTC), end.astimezone(UTC)


# --- the end-of-shift summary -----------------------------------------------------------


@dataclass
class Summary:
    start: datetime
    end: datetime
    total: int = 0
    by_service: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    urgent: list[dict[str, Any]] = field(default_factory=list)
    manual: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "total": self.total,
            "by_service": self.by_service,
            "by_kind": self.by_kind,
            "by_severity": self.by_severity,
            "urgent": self.urgent,
            "manual": self.manual,
            "corrections": self.corrections,
        }


def summarise(start: datetime, end: datetime, entries: list[dict[str, Any]]) -> Summary:
    """What a shift hands over: counts per service, kind and severity, and the entries that
    must be read (urgent ones, the operators' own notes, corrections)."""
    out = Summary(start, end, total=len(entries))
    services: Counter[str] = Counter()
    severities: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    for e in entries:
        services[e["service"]] += 1
        severities[e["severity"]] += 1
        kinds.setdefault(e["service"], Counter())[e["kind"]] += 1
        if e["kind"] == CORRECTION:
            out.corrections.append(e)
        elif e["kind"] == MANUAL:
            out.manual.append(e)
        if e["severity"] == "urgent" and e["kind"] not in (MANUAL, CORRECTION):
            out.urgent.append(e)
    out.by_service = dict(services.most_common())
    out.by_severity = {s: severities[s] for s in SEVERITIES if severities[s]}
    out.by_kind = {svc: dict(c.most_common()) for svc, c in kinds.items()}
    return out


def summary_text(summary: Summary, tz: ZoneInfo, lang: str = "fr") -> str:
    """The summary as plain text, for the hand-over sheet or an e-mail."""
    fr = lang == "fr"

    def local(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(tz).strftime("%d/%m %H:%M")

    def name(svc: str) -> str:
        return SERVICES.get(svc, (svc, svc))[0 if fr else 1]

    lines = [
        ("Main courante — fin de poste" if fr else "Operations log — end of shift"),
        f"{summary.start.astimezone(tz):%d/%m/%Y %H:%M} → {summary.end.astimezone(tz):%d/%m/%Y %H:%M}",
        "",
        f"{summary.total} " + ("entrées" if fr else "entries"),
    ]
    for svc, n in summary.by_service.items():
        kinds = ", ".join(f"{k} {c}" for k, c in summary.by_kind.get(svc, {}).items())
        lines.append(f"  {name(svc)} : {n} ({kinds})" if fr else f"  {name(svc)}: {n} ({kinds})")
    for title_fr, title_en, items in (
        ("Urgent", "Urgent", summary.urgent),
        ("Notes des opérateurs", "Operators' notes", summary.manual),
        ("Corrections", "Corrections", summary.corrections),
    ):
        if items:
            lines += ["", title_fr if fr else title_en]
            for e in items:
                text = e["text"] if fr or not e.get("text_en") else e["text_en"]
                lines.append(f"  {local(e['at'])} [{name(e['service'])}] {e['actor']}: {text}")
    return "\n".join(lines) + "\n"
