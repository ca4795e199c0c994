"""Video protection within French law: the rules, in plain Python.

- A system (site) needs a prefectoral authorisation, granted for five years at most
  (Code de la sécurité intérieure, art. L252-4), for purposes among those of
  art. L251-2, after the departmental commission's opinion (art. L252-1).
- Images are kept as long as the authorisation says, one month at most (art. L252-5).
- The public is told, clearly and permanently, by signs that name whom to ask for
  access to the images (art. L251-3), and private dwellings are not filmed
  (art. L251-3: privacy masks where a camera overlooks them).
- Extractions for a judicial or administrative requisition are written in a register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from vigie.errors import ValidationFailed

AUTHORISATION_YEARS = 5
RETENTION_MAX_DAYS = 30  # "un mois" (art. L252-5), as the asset registry counts it
EXPIRY_WARNING_DAYS = 183  # six months

# Art. L251-2 CSI: the purposes a public authority may pursue (code -> French, English).
PURPOSES: dict[str, tuple[str, str]] = {
    "public_buildings": (
        "Protection des bâtiments et installations publics et de leurs abords",
        "Protection of public buildings and facilities and their surroundings",
    ),
    "national_defence": (
        "Sauvegarde des installations utiles à la défense nationale",
        "Safeguarding facilities needed for national defence",
    ),
    "traffic_regulation": ("Régulation des flux de transport", "Regulation of traffic flows"),
    "traffic_offences": (
        "Constatation des infractions aux règles de la circulation",
        "Recording traffic offences",
    ),
    "crime_prevention": (
        "Prévention des atteintes à la sécurité des personnes et des biens dans des lieux "
        "particulièrement exposés à des risques d'agression, de vol ou de trafic de stupéfiants",
        "Preventing attacks on people and property where assault, theft or drug trafficking "
        "are particularly likely",
    ),
    "terrorism": ("Prévention d'actes de terrorisme", "Preventing acts of terrorism"),
    "natural_risks": (
        "Prévention des risques naturels ou technologiques",
        "Preventing natural or technological hazards",
    ),
    "rescue_fire": (
        "Secours aux personnes et défense contre l'incendie",
        "Rescue of people and fire fighting",
    ),
    "amusement_parks": (
        "Sécurité des installations accueillant du public dans les parcs d'attraction",
        "Safety of public facilities in amusement parks",
    ),
    "vehicle_insurance": (
        "Respect de l'obligation d'assurance des véhicules terrestres à moteur",
        "Compliance with compulsory motor insurance",
    ),
    "waste_dumping": (
        "Prévention et constatation des infractions relatives à l'abandon d'ordures, de déchets, "
        "de matériaux ou d'autres objets",
        "Preventing and recording illegal dumping of rubbish, waste, materials or other objects",
    ),
}
OPINIONS: dict[str, tuple[str, str]] = {
    "favourable": ("Favorable", "Favourable"),
    "favourable_with_reservations": ("Favorable avec réserves", "Favourable with reservations"),
    "unfavourable": ("Défavorable", "Unfavourable"),
}
REQUISITIONS: dict[str, tuple[str, str]] = {
    "judicial": ("Réquisition judiciaire", "Judicial requisition"),
    "administrative": ("Réquisition administrative", "Administrative requisition"),
}
MEDIA: dict[str, tuple[str, str]] = {
    "encrypted_usb": ("Clé USB chiffrée", "Encrypted USB drive"),
    "optical_disc": ("Disque optique (DVD, Blu-ray)", "Optical disc (DVD, Blu-ray)"),
    "secure_transfer": ("Transfert sécurisé", "Secure transfer"),
    "hard_drive": ("Disque dur", "Hard drive"),
}
# Compliance alerts: code -> (severity, French, English).
ALERTS: dict[str, tuple[str, str, str]] = {
    "authorisation_missing": (
        "urgent",
        "Système sans autorisation préfectorale enregistrée",
        "System with no prefectoral authorisation on record",
    ),
    "authorisation_expired": (
        "urgent",
        "Autorisation préfectorale expirée",
        "Prefectoral authorisation expired",
    ),
    "authorisation_expiring": (
        "notable",
        "Autorisation préfectorale expirant dans moins de six mois",
        "Prefectoral authorisation expiring within six months",
    ),
    "retention_too_long": (
        "urgent",
        f"Durée de conservation supérieure à un mois ({RETENTION_MAX_DAYS} jours)",
        f"Retention longer than one month ({RETENTION_MAX_DAYS} days)",
    ),
    "camera_no_signage": ("notable", "Caméra sans panneau d'information", "Camera without information sign"),
    "camera_no_masks": (
        "urgent",
        "Caméra donnant sur des habitations sans masques de confidentialité",
        "Camera overlooking dwellings without privacy masks",
    ),
    "camera_outside_site": (
        "urgent",
        "Caméra hors de tout système autorisé",
        "Camera outside any authorised system",
    ),
}
TEXT_MAX = 300


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _text(value: Any, name: str, required: bool = False, limit: int = TEXT_MAX) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{name} is required", field=name)
    if len(text) > limit:
        raise ValidationFailed(f"{name}: at most {limit} characters", field=name)
    if any(ord(c) < 32 for c in text):
        raise ValidationFailed(f"{name}: control characters are not allowed", field=name)
    return text


@dataclass
class SiteDraft:
    """A site as written by an operator or an import; checked by :func:`check_site`."""

    code: str
    name: str
    zone: str = ""
    address: str = ""
    lat: float | None = None
    long: float | None = None
    in_service_on: date | None = None
    authorisation_number: str = ""
    authorisation_date: date | None = None
    authorisation_expiry: date | None = None
    purposes: list[str] = field(default_factory=list)
    retention_days: int | None = None
    responsible_name: str = ""
    responsible_service: str = ""
    access_contact: str = ""
    commission_opinion: str = ""
    commission_date: date | None = None
    external_id: str | None = None


def check_site(d: SiteDraft) -> SiteDraft:
    """The law's rules on a site; each problem is a 422 naming its field.

    An imported site may lack its authorisation (the Paris list has none): it is
    recorded, and the compliance alerts say what is missing.
    """
    d.code = _text(d.code, "code", required=True, limit=64)
    d.name = _text(d.name, "name", required=True, limit=200)
    d.address = _text(d.address, "address")
    d.authorisation_number = _text(d.authorisation_number, "authorisation_number", limit=64)
    d.responsible_name = _text(d.responsible_name, "responsible_name", limit=200)
    d.responsible_service = _text(d.responsible_service, "responsible_service", limit=200)
    d.access_contact = _text(d.access_contact, "access_contact")
    if (d.lat is None) != (d.long is None):
        raise ValidationFailed("lat and long go together", field="lat")
    if d.lat is not None and d.long is not None and not (-90 <= d.lat <= 90 and -180 <= d.long <= 180):
        raise ValidationFailed("lat/long out of range", field="lat")
    unknown = [p for p in d.purposes if p not in PURPOSES]
    if unknown:
        raise ValidationFailed(
            f"unknown purpose(s) {', '.join(unknown)}: art. L251-2 allows {', '.join(PURPOSES)}",
            field="purposes",
        )
    d.purposes = list(dict.fromkeys(d.purposes))
    if d.retention_days is not None and not 1 <= d.retention_days <= RETENTION_MAX_DAYS:
        raise ValidationFailed(
            f"retention is 1 to {RETENTION_MAX_DAYS} days: images are kept one month at most (art. L252-5)",
            field="retention_days",
        )
    if d.commission_opinion and d.commission_opinion not in OPINIONS:
        raise ValidationFailed(
            f"unknown opinion '{d.commission_opinion}' ({', '.join(OPINIONS)})", field="commission_opinion"
        )
    if d.authorisation_date is not None:
        if not d.authorisation_number:
            raise ValidationFailed("an authorisation has a number", field="authorisation_number")
        latest = add_years(d.authorisation_date, AUTHORISATION_YEARS)
        if d.authorisation_expiry is None:
            d.authorisation_expiry = latest  # granted for five years unless the decree says less
        if d.authorisation_expiry <= d.authorisation_date:
            raise ValidationFailed("the expiry is after the authorisation date", field="authorisation_expiry")
        if d.authorisation_expiry > latest:
            raise ValidationFailed(
                f"an authorisation lasts {AUTHORISATION_YEARS} years at most (until {latest.isoformat()})",
                field="authorisation_expiry",
            )
        if not d.purposes:
            raise ValidationFailed("an authorised system states its purposes (art. L251-2)", field="purposes")
        if d.retention_days is None:
            raise ValidationFailed("an authorised system states its retention period", field="retention_days")
        if d.commission_opinion == "":
            raise ValidationFailed(
                "the departmental commission's opinion comes before the authorisation",
                field="commission_opinion",
            )
        if d.commission_date is not None and d.commission_date > d.authorisation_date:
            raise ValidationFailed(
                "the commission's opinion is given before the authorisation", field="commission_date"
            )
    elif d.authorisation_expiry is not None:
        raise ValidationFailed("an expiry needs the authorisation date", field="authorisation_date")
    return d


def site_state(expiry: date | None, number: str, today: date) -> str:
    """``unauthorised`` (nothing on record), ``authorised``, ``expiring`` (< 6 months) or ``expired``."""
    if expiry is None or not number:
        return "unauthorised"
    if expiry < today:
        return "expired"
    if expiry - today <= timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return "authorised"


# --- compliance -------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    kind: str
    site_id: int | None = None
    asset_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.asset_id or self.site_id}"

    @property
    def severity(self) -> str:
        return ALERTS[self.kind][0]


@dataclass(frozen=True)
class SiteFacts:
    id: int
    code: str
    number: str
    expiry: date | None
    retention_days: int | None


@dataclass(frozen=True)
class CameraFacts:
    asset_id: str
    site_id: int | None
    overlooks_private: bool
    privacy_masks: bool
    signage: bool
    in_use: bool  # planned and removed cameras film nothing


def compliance(sites: list[SiteFacts], cameras: list[CameraFacts], today: date) -> list[Alert]:
    """Every compliance alert of today: the sites' authorisation and retention, the cameras'
    signage, masks and site."""
    alerts: list[Alert] = []
    authorised: set[int] = set()
    for s in sites:
        state = site_state(s.expiry, s.number, today)
        detail = {"code": s.code, "expiry": s.expiry.isoformat() if s.expiry else None}
        if state == "unauthorised":
            alerts.append(Alert("authorisation_missing", s.id, detail=detail))
        elif state == "expired":
            alerts.append(Alert("authorisation_expired", s.id, detail=detail))
        else:
            authorised.add(s.id)
            if state == "expiring":
                alerts.append(Alert("authorisation_expiring", s.id, detail=detail))
        if s.retention_days is not None and s.retention_days > RETENTION_MAX_DAYS:
            alerts.append(Alert("retention_too_long", s.id, detail={**detail, "days": s.retention_days}))
    for c in cameras:
        if not c.in_use:
            continue
        if c.site_id is None or c.site_id not in authorised:
            alerts.append(Alert("camera_outside_site", c.site_id, c.asset_id))
        if not c.signage:
            alerts.append(Alert("camera_no_signage", c.site_id, c.asset_id))
        if c.overlooks_private and not c.privacy_masks:
            alerts.append(Alert("camera_no_masks", c.site_id, c.asset_id))
    return alerts


# --- the register of extractions ----------------------------------------------------------


@dataclass
class ExtractionDraft:
    requisition_kind: str
    requisition_reference: str
    requisition_date: date
    requester: str
    cameras: list[str]
    span_start: datetime
    span_end: datetime
    medium: str
    medium_reference: str = ""
    destruction_due: date | None = None
    note: str = ""


MAX_CAMERAS = 200
MAX_SPAN = timedelta(days=RETENTION_MAX_DAYS)


def check_extraction(d: ExtractionDraft, now: datetime) -> ExtractionDraft:
    if d.requisition_kind not in REQUISITIONS:
        raise ValidationFailed(
            f"unknown requisition kind '{d.requisition_kind}' ({', '.join(REQUISITIONS)})",
            field="requisition_kind",
        )
    d.requisition_reference = _text(
        d.requisition_reference, "requisition_reference", required=True, limit=120
    )
    d.requester = _text(d.requester, "requester", required=True, limit=200)
    d.medium_reference = _text(d.medium_reference, "medium_reference", limit=120)
    d.note = _text(d.note, "note", limit=2000)
    if d.medium not in MEDIA:
        raise ValidationFailed(f"unknown medium '{d.medium}' ({', '.join(MEDIA)})", field="medium")
    if d.requisition_date > now.date():
        raise ValidationFailed("a requisition is not dated in the future", field="requisition_date")
    d.cameras = list(dict.fromkeys(c.strip() for c in d.cameras if c.strip()))
    if not d.cameras:
        raise ValidationFailed("name the cameras whose images were extracted", field="cameras")
    if len(d.cameras) > MAX_CAMERAS:
        raise ValidationFailed(f"at most {MAX_CAMERAS} cameras per extraction", field="cameras")
    for name in ("span_start", "span_end"):
        if getattr(d, name).tzinfo is None:
            raise ValidationFailed("give a time zone (Z or +01:00)", field=name)
    if d.span_end <= d.span_start:
        raise ValidationFailed("the span ends after it starts", field="span_end")
    if d.span_end > now:
        raise ValidationFailed("images of the future cannot be extracted", field="span_end")
    if d.span_start < now - MAX_SPAN:
        raise ValidationFailed(
            f"images older than {RETENTION_MAX_DAYS} days are destroyed (art. L252-5)", field="span_start"
        )
    if d.destruction_due is not None and d.destruction_due < now.date():
        raise ValidationFailed("the destruction date is not in the past", field="destruction_due")
    return d
