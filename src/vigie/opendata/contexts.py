"""Sources from other contexts' data: the authorised video-protection sites, the places.

Each reads what its context already makes public (``videoprotection.public.public_sites``:
the fields the prefectoral acts and signs publish, never a camera's position; the
places imported by ``vigie import places``) and declares its columns' kinds, so the
charter still applies: contact columns (a service's e-mail, a shop's phone) are left
out, as is free text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from vigie.opendata.domain import Column
from vigie.opendata.domain import ColumnKind as K
from vigie.opendata.sources import Source, register_source, schema_of
from vigie.places.storage import PlaceRow
from vigie.videoprotection.public import public_sites

if TYPE_CHECKING:
    import pyarrow as pa

    from vigie.opendata.domain import Dataset
    from vigie.runtime import Vigie

SITE_COLUMNS: tuple[Column, ...] = (
    Column("code", "string", K.ID, "Identifiant du système", "System identifier"),
    Column("name", "string", K.CATEGORY, "Lieu, comme dans l'arrêté", "Place, as in the decree"),
    Column("commune", "string", K.CATEGORY, "Code INSEE de la commune", "INSEE code of the commune"),
    Column("commune_name", "string", K.CATEGORY, "Commune", "Commune"),
    Column("address", "string", K.CATEGORY, "Adresse ou périmètre filmé", "Address or perimeter filmed"),
    Column("authorisation_number", "string", K.ID, "Numéro de l'arrêté préfectoral", "Decree number"),
    Column("authorisation_date", "date", K.TIME, "Date de l'arrêté", "Date of the decree"),
    Column("authorisation_expiry", "date", K.TIME, "Fin de validité", "End of validity"),
    Column("purposes", "string", K.CATEGORY, "Finalités autorisées", "Authorised purposes"),
    Column("retention_days", "int", K.MEASURE, "Conservation des images (jours)", "Images kept (days)"),
    Column("cameras", "int", K.MEASURE, "Nombre de caméras autorisées", "Cameras authorised"),
    Column("responsible_service", "string", K.CATEGORY, "Service responsable", "Service responsible"),
    Column("access_contact", "string", K.CONTACT, "Contact du droit d'accès", "Right of access contact"),
)


# The builders import pyarrow when a release is built (see vigie.opendata.sources).


def build_sites(v: Vigie, dataset: Dataset) -> pa.Table:
    from datetime import date

    import pyarrow as pa

    cols: dict[str, list[Any]] = {c.name: [] for c in SITE_COLUMNS}
    for site in public_sites(v):
        for c in SITE_COLUMNS:
            if c.name == "commune":
                value: Any = site["commune"]["code"]
            elif c.name == "commune_name":
                value = site["commune"]["name"]
            elif c.name == "purposes":
                value = "; ".join(site["purposes"])
            elif c.type == "date":
                value = date.fromisoformat(site[c.name]) if site.get(c.name) else None
            else:
                value = site.get(c.name)
            cols[c.name].append(value)
    return pa.table(cols, schema=schema_of(SITE_COLUMNS))


PLACE_COLUMNS: tuple[Column, ...] = (
    Column("id", "string", K.ID, "Identifiant du lieu", "Place id"),
    Column("source", "string", K.CATEGORY, "Jeu d'origine", "Source dataset"),
    Column("theme", "string", K.CATEGORY, "Thème", "Theme"),
    Column("category", "string", K.CATEGORY, "Catégorie", "Category"),
    Column("name", "string", K.CATEGORY, "Nom", "Name"),
    Column("address", "string", K.CATEGORY, "Adresse", "Address"),
    Column("commune", "string", K.CATEGORY, "Commune", "Commune"),
    Column("description", "string", K.TEXT, "Description", "Description"),
    Column("phone", "string", K.CONTACT, "Téléphone", "Phone"),
    Column("lat", "float", K.LATITUDE, "Latitude", "Latitude"),
    Column("long", "float", K.LONGITUDE, "Longitude", "Longitude"),
)


def build_places(v: Vigie, dataset: Dataset) -> pa.Table:
    import pyarrow as pa

    p = PlaceRow
    stmt = select(
        p.id,
        p.source,
        p.theme,
        p.category,
        p.name,
        p.address,
        p.commune,
        p.description,
        p.phone,
        p.lat,
        p.lon,
    )
    with v.db.session() as s:
        rows = s.execute(stmt.order_by(p.id)).all()
    arrays: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in PLACE_COLUMNS]
    schema = schema_of(PLACE_COLUMNS)
    return pa.table([pa.array(a, type=f.type) for a, f in zip(arrays, schema, strict=True)], schema=schema)


def register_context_sources() -> None:
    register_source(
        Source(
            "videoprotection_sites",
            SITE_COLUMNS,
            build_sites,
            "Sites de vidéoprotection autorisés",
            "Authorised video-protection sites",
        )
    )
    register_source(Source("places", PLACE_COLUMNS, build_places, "Lieux de la ville", "The city's places"))
