"""The legally public list of authorised video-protection systems: a page and a dataset.

Prefectures publish their authorisation decrees (recueil des actes administratifs),
and the law tells the public where it is filmed and whom to ask for the images
(art. L251-3, L252-2 CSI). So Vigie publishes, per authorised system, what those
acts and the signs already make public, and nothing that would place a camera:

``PUBLISHED`` names each field and why; ``WITHHELD`` says what is left out and why.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from vigie import csvsafe
from vigie.runtime import Vigie
from vigie.videoprotection import domain
from vigie.videoprotection.actions import _camera_counts, today_in
from vigie.videoprotection.storage import VideoSiteRow

# field -> (French, English): why it is published
PUBLISHED: dict[str, tuple[str, str]] = {
    "code": ("Identifiant stable du système", "The system's stable identifier"),
    "name": (
        "Nom du lieu, comme dans l'arrêté préfectoral",
        "Name of the place, as in the prefectoral decree",
    ),
    "commune": (
        "Commune (code INSEE et nom) : publiée dans l'arrêté",
        "Commune (INSEE code and name): in the decree",
    ),
    "address": (
        "Adresse ou périmètre du lieu filmé : l'arrêté et les panneaux l'indiquent",
        "Address or perimeter of the filmed place: given by the decree and the signs",
    ),
    "authorisation_number": (
        "Numéro de l'arrêté préfectoral (acte public)",
        "Number of the prefectoral decree (public act)",
    ),
    "authorisation_date": ("Date de l'arrêté", "Date of the decree"),
    "authorisation_expiry": (
        "Fin de validité (5 ans au plus, art. L252-4)",
        "End of validity (5 years at most, art. L252-4)",
    ),
    "purposes": (
        "Finalités autorisées (art. L251-2), dans l'arrêté",
        "Authorised purposes (art. L251-2), in the decree",
    ),
    "retention_days": (
        "Durée de conservation des images (un mois au plus, art. L252-5), dans l'arrêté",
        "How long images are kept (one month at most, art. L252-5), in the decree",
    ),
    "cameras": ("Nombre de caméras, que l'arrêté autorise", "Number of cameras, which the decree authorises"),
    "responsible_service": (
        "Service responsable, à qui s'adresser (droit d'accès, art. L253-5), comme sur les panneaux",
        "Service responsible, whom to ask (right of access, art. L253-5), as on the signs",
    ),
    "access_contact": ("Adresse pour exercer le droit d'accès", "Address to exercise the right of access"),
}
WITHHELD: dict[str, tuple[str, str]] = {
    "camera positions, types and fields of view": (
        "Positions, types et champs de vision des caméras : ils exposeraient le dispositif à sa "
        "neutralisation",
        "Camera positions, types and fields of view: they would expose the system to being defeated",
    ),
    "site coordinates": (
        "Coordonnées des sites : elles placeraient les caméras",
        "Site coordinates: they would place the cameras",
    ),
    "responsible person's name": (
        "Nom de la personne responsable : donnée personnelle",
        "Responsible person's name: personal data",
    ),
    "commission opinion, masks, signage, health": (
        "Avis de la commission, masques, panneaux, état : documents de travail internes",
        "Commission opinion, masks, signage, health: internal working documents",
    ),
    "extraction register": (
        "Registre des extractions : réservé à son rôle, accès tracé",
        "Extraction register: for its own role, every access audited",
    ),
}
COLUMNS = tuple(PUBLISHED)


def public_sites(v: Vigie) -> list[dict[str, Any]]:
    """The systems whose authorisation is in force today, with the published fields only."""
    today = today_in(v)
    zones = v.city.zones.by_code
    with v.db.session() as s:
        rows = list(
            s.scalars(
                select(VideoSiteRow)
                .where(VideoSiteRow.authorisation_expiry >= today, VideoSiteRow.authorisation_number != "")
                .order_by(VideoSiteRow.zone, VideoSiteRow.name)
            )
        )
        counts = _camera_counts(s, [r.id for r in rows])
    out = []
    for r in rows:
        zone = zones.get(r.zone)
        out.append(
            {
                "code": r.code,
                "name": r.name,
                "commune": {"code": r.zone, "name": zone.name if zone else ""},
                "address": r.address,
                "authorisation_number": r.authorisation_number,
                "authorisation_date": r.authorisation_date.isoformat() if r.authorisation_date else None,
                "authorisation_expiry": r.authorisation_expiry.isoformat()
                if r.authorisation_expiry
                else None,
                "purposes": list(r.purposes or []),
                "retention_days": r.retention_days,
                "cameras": counts.get(r.id, 0),
                "responsible_service": r.responsible_service,
                "access_contact": r.access_contact,
            }
        )
    return out


def dataset(v: Vigie, lang: str = "fr") -> dict[str, Any]:
    i = 0 if lang == "fr" else 1
    return {
        "title": "Systèmes de vidéoprotection autorisés" if i == 0 else "Authorised video-protection systems",
        "publisher": v.city.name,
        "license": "Licence Ouverte 2.0 / Etalab",
        "fields": {k: why[i] for k, why in PUBLISHED.items()},
        "withheld": {k: why[i] for k, why in WITHHELD.items()},
        "purposes": {k: names[i] for k, names in domain.PURPOSES.items()},
        "items": public_sites(v),
    }


def dataset_csv(v: Vigie) -> str:
    buf = io.StringIO()
    out = csvsafe.writer(buf)
    out.writerow(
        (
            "code",
            "name",
            "commune_code",
            "commune",
            "address",
            "authorisation_number",
            "authorisation_date",
            "authorisation_expiry",
            "purposes",
            "retention_days",
            "cameras",
            "responsible_service",
            "access_contact",
        )
    )
    for x in public_sites(v):
        out.writerow(
            (
                x["code"],
                x["name"],
                x["commune"]["code"],
                x["commune"]["name"],
                x["address"],
                x["authorisation_number"],
                x["authorisation_date"],
                x["authorisation_expiry"],
                "|".join(x["purposes"]),
                x["retention_days"],
                x["cameras"],
                x["responsible_service"],
                x["access_contact"],
            )
        )
    return buf.getvalue()
