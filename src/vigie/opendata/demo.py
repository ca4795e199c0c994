"""The Dijon demo's open data: datasets proposed, reviewed, approved and released.

Everything goes the way a city's would: the demo's supervisor proposes each
dataset with its rules, the committee (the demo's administrator and supervisor)
votes and records its decision, then the first release is built through the
charter. Idempotent: a dataset that exists is left alone, and one with a
published release is not released again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from vigie.accounts.actions import to_agent
from vigie.accounts.domain import Agent
from vigie.accounts.storage import UserRow
from vigie.errors import VigieError
from vigie.opendata.actions import do_create_dataset, do_release, do_upload
from vigie.opendata.queries import all_datasets, published_datasets
from vigie.opendata.review import (
    committee,
    do_add_member,
    do_decide,
    do_propose_rules,
    do_vote,
    proposals,
)
from vigie.runtime import Vigie

PUBLISHER = "Dijon Métropole"
CONTACT = "opendata@metropole-dijon.fr"
BBOX = [4.93, 47.25, 5.16, 47.40]
PORTAL_CREDIT = "Dijon Métropole, portail open data (Licence Ouverte)"


@dataclass(frozen=True)
class DemoDataset:
    id: str
    source: str
    meta: dict[str, Any]
    rules: dict[str, Any]
    reasons: str
    columns: list[dict[str, Any]] | None = None
    file: str = ""  # under VIGIE_OPEN_DATA_DIR/dijon/opendata/ (uploaded datasets)
    params: dict[str, Any] = field(default_factory=dict)
    # Rules proposed when the first release is blocked (the committee reviews them in turn).
    revised: dict[str, Any] | None = None
    revised_summary: str = ""


def _meta(title_fr: str, title_en: str, fr: str, en: str, **more: Any) -> dict[str, Any]:
    return {
        "title_fr": title_fr,
        "title_en": title_en,
        "description_fr": fr,
        "description_en": en,
        "publisher": PUBLISHER,
        "contact_point": CONTACT,
        "licence": "etalab-2.0",
        "spatial": "Dijon Métropole",
        "spatial_bbox": BBOX,
        **more,
    }


def _col(name: str, type_: str, kind: str, fr: str, en: str) -> dict[str, Any]:
    return {"name": name, "type": type_, "kind": kind, "fr": fr, "en": en}


DATASETS: tuple[DemoDataset, ...] = (
    DemoDataset(
        "signalements-anonymises",
        "reports",
        _meta(
            "Signalements des habitants (anonymisés)",
            "Residents' reports (anonymised)",
            "Les signalements publics reçus par la Métropole (voirie, éclairage, propreté…), sans texte "
            "libre ni coordonnées des habitants, services sensibles exclus, publiés selon les règles que le "
            "comité d'éthique des données a approuvées (généralisation, dates au mois, k-anonymat k = 5).",
            "Public reports received by the Métropole (roads, lighting, cleanliness…), without free text "
            "or residents' contact details, sensitive services left out, published under the rules the data "
            "ethics committee approved (generalisation, dates to the month, k-anonymity k = 5).",
            themes=["GOVE", "REGI"],
            keywords=["signalements", "voirie", "propreté", "Open311"],
            keywords_en=["reports", "roads", "cleanliness", "Open311"],
            frequency="DAILY",
        ),
        {
            "location": "grid",
            "location_m": 1000,
            "time": {"requested_at": "month", "closed_at": "month"},
            "drop": ["service_code"],
            "quasi_identifiers": ["service_group", "commune", "requested_at"],
            "k": 5,
            "suppress_share": 0.2,
        },
        "Pas de texte libre ni de coordonnées ; maille de 1 km et mois rendent la réidentification "
        "improbable ; les petits groupes sont retirés (au plus 20 % des lignes).",
        revised={
            "drop": ["service_code", "commune", "lat", "long"],
            "time": {"requested_at": "month", "closed_at": "month"},
            "quasi_identifiers": ["service_group", "requested_at"],
            "k": 5,
            "suppress_share": 0.05,
        },
        revised_summary="La première version a été bloquée (k-anonymat : trop de combinaisons "
        "groupe, commune, mois de moins de 5 signalements). Proposition : publier sans la commune "
        "ni la position, tant que le volume de signalements ne permet pas une maille sûre.",
    ),
    DemoDataset(
        "indicateurs-signalements",
        "kpis",
        _meta(
            "Indicateurs des signalements par mois, groupe et commune",
            "Report indicators per month, group and commune",
            "Nombre de signalements reçus et traités et délai moyen de traitement, par mois, groupe de "
            "services et commune. Les effectifs inférieurs à 5 sont masqués.",
            "Reports received and handled and mean time to close, per month, service group and commune. "
            "Counts below 5 are suppressed.",
            themes=["GOVE"],
            keywords=["indicateurs", "délais", "signalements"],
            keywords_en=["indicators", "delays", "reports"],
            frequency="DAILY",
        ),
        {"min_count": 5},
        "Données agrégées ; les petits effectifs sont masqués.",
    ),
    DemoDataset(
        "eclairage-public-inventaire",
        "lighting",
        _meta(
            "Inventaire de l'éclairage public",
            "Street lighting inventory",
            "Chaque point lumineux de la Métropole : technologie, puissance, hauteur, état, date de pose "
            "et consommation annuelle estimée.",
            "Every light point of the Métropole: technology, power, height, status, installation date and "
            "estimated annual consumption.",
            themes=["ENER", "REGI"],
            keywords=["éclairage", "LED", "énergie"],
            keywords_en=["lighting", "LED", "energy"],
            frequency="MONTHLY",
        ),
        {},
        "Mobilier urbain, aucune donnée personnelle.",
    ),
    DemoDataset(
        "eclairage-public-energie",
        "lighting_energy",
        _meta(
            "Énergie de l'éclairage public par commune et technologie",
            "Street lighting energy per commune and technology",
            "Points lumineux, puissance installée et consommation annuelle estimée par commune et "
            "technologie de lampe : le suivi de la conversion aux LED.",
            "Light points, installed power and estimated annual consumption per commune and lamp "
            "technology: following the LED conversion.",
            themes=["ENER"],
            keywords=["éclairage", "énergie", "LED"],
            keywords_en=["lighting", "energy", "LED"],
            frequency="MONTHLY",
        ),
        {},
        "Données agrégées sur des équipements.",
    ),
    DemoDataset(
        "etats-equipements",
        "equipment_states",
        _meta(
            "États des équipements connectés",
            "States of connected equipment",
            "Nombre d'équipements par type, commune et état (en service, en panne, en maintenance…), hors "
            "caméras et véhicules.",
            "Equipment per type, commune and status (in service, faulty, under maintenance…), cameras and "
            "vehicles left out.",
            themes=["TECH", "REGI"],
            keywords=["équipements", "maintenance"],
            keywords_en=["equipment", "maintenance"],
            frequency="DAILY",
        ),
        {},
        "Agrégats ; les caméras relèvent du jeu des sites de vidéoprotection.",
    ),
    DemoDataset(
        "sites-videoprotection",
        "videoprotection_sites",
        _meta(
            "Sites de vidéoprotection autorisés",
            "Authorised video-protection sites",
            "Les systèmes de vidéoprotection dont l'autorisation préfectorale est en vigueur : lieu, "
            "commune, arrêté, finalités, durée de conservation des images, nombre de caméras, service "
            "responsable. Ni la position ni le champ de vision des caméras.",
            "Video-protection systems whose prefectoral authorisation is in force: place, commune, "
            "decree, purposes, how long images are kept, number of cameras, service responsible. "
            "Neither the cameras' positions nor their fields of view.",
            themes=["JUST", "GOVE"],
            keywords=["vidéoprotection", "caméras", "sécurité"],
            keywords_en=["video protection", "cameras", "safety"],
            frequency="MONTHLY",
        ),
        {},
        "Informations publiques par la loi (arrêtés, panneaux) ; aucune position de caméra.",
    ),
    DemoDataset(
        "lieux",
        "places",
        _meta(
            "Lieux de la ville",
            "The city's places",
            "Les lieux importés dans Vigie depuis le portail de la Métropole (écoles, stations Vélodi, "
            "commerces, arrêts de tram…) : nom, catégorie, thème, adresse, commune et position, sans "
            "description ni téléphone.",
            "The places imported into Vigie from the Métropole's portal (schools, Vélodi stations, shops, "
            "tram stops…): name, category, theme, address, commune and position, without description or "
            "phone.",
            themes=["REGI", "EDUC"],
            keywords=["lieux", "équipements", "commerces"],
            keywords_en=["places", "facilities", "shops"],
            frequency="MONTHLY",
            attribution=PORTAL_CREDIT,
        ),
        # Some imported ids are long digit strings the personal data scanner takes for phone
        # numbers (it blocked the first try): reusers need no internal id.
        {"drop": ["id"]},
        "Lieux publics et commerces, déjà publiés par la Métropole ; identifiants internes retirés.",
    ),
    DemoDataset(
        "parkings-occupation",
        "upload",
        _meta(
            "Occupation des parkings DiviaPark",
            "DiviaPark car-park occupancy",
            "Taux d'occupation (%) de 10 parkings DiviaPark toutes les quelques minutes, du 20 juin au "
            "30 septembre 2023, ramené au quart d'heure. Une valeur négative est un défaut du capteur "
            "publié tel quel.",
            "Occupancy (%) of 10 DiviaPark car parks every few minutes, 20 June to 30 September 2023, "
            "to the quarter hour. A negative value is a sensor fault published as it came.",
            themes=["TRAN"],
            keywords=["stationnement", "parkings", "mobilité"],
            keywords_en=["parking", "car parks", "mobility"],
            temporal_start="2023-06-20",
            temporal_end="2023-09-30",
            frequency="IRREG",
            attribution="Dijon Métropole, disponibilité des parkings en temps réel",
        ),
        {"time": {"datetime": "minute"}},
        "Mesures de capteurs, aucune donnée personnelle.",
        columns=[
            _col("datetime", "timestamp", "time", "Date et heure de la mesure", "Time of the measurement"),
            _col("parking", "string", "category", "Parking", "Car park"),
            _col("pourcentage", "int", "measure", "Taux d'occupation (%)", "Occupancy (%)"),
        ],
        file="diviapark_occupancy_timeseries.csv",
    ),
    DemoDataset(
        "stations-velodi",
        "upload",
        _meta(
            "Stations DiviaVélodi",
            "DiviaVélodi bike-share stations",
            "Les 40 stations de vélos en libre-service : numéro, adresse, nombre d'emplacements, quartier.",
            "The 40 bike-share stations: number, address, docks, district.",
            themes=["TRAN"],
            keywords=["vélo", "mobilité"],
            keywords_en=["cycling", "mobility"],
            frequency="ANNUAL",
            attribution=PORTAL_CREDIT,
        ),
        {},
        "Équipements publics.",
        columns=[
            _col("numero_station", "int", "id", "Numéro de station", "Station number"),
            _col("adresse_station", "string", "category", "Adresse", "Address"),
            _col("nb_emplacement_total", "int", "measure", "Emplacements", "Docks"),
            _col("quartier_station", "string", "category", "Quartier", "District"),
            _col("lat", "float", "latitude", "Latitude", "Latitude"),
            _col("long", "float", "longitude", "Longitude", "Longitude"),
        ],
        file="caracteristiques_stations_velodi.geojson",
    ),
    DemoDataset(
        "arrets-tram",
        "upload",
        _meta(
            "Arrêts de tramway",
            "Tram stops",
            "Les arrêts des lignes T1 et T2 : nom, lignes, accessibilité, parc relais.",
            "The stops of lines T1 and T2: name, lines, accessibility, park and ride.",
            themes=["TRAN"],
            keywords=["tramway", "transports en commun"],
            keywords_en=["tramway", "public transport"],
            frequency="ANNUAL",
            attribution=PORTAL_CREDIT,
        ),
        {},
        "Équipements publics.",
        columns=[
            _col("code_unique", "string", "id", "Code de l'arrêt", "Stop code"),
            _col("nom", "string", "category", "Nom", "Name"),
            _col("lignes", "string", "category", "Lignes", "Lines"),
            _col("accessibilite", "string", "category", "Accessibilité", "Accessibility"),
            _col("presence_p_r", "string", "category", "Parc relais", "Park and ride"),
            _col("lat", "float", "latitude", "Latitude", "Latitude"),
            _col("long", "float", "longitude", "Longitude", "Longitude"),
        ],
        file="arrets-tram.geojson",
    ),
)


def _demo_agent(v: Vigie, email: str) -> Agent | None:
    with v.db.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.email == email)).first()
        return to_agent(row) if row is not None else None


def load_demo_opendata(v: Vigie, publisher_email: str, member_emails: list[str]) -> list[str]:
    publisher = _demo_agent(v, publisher_email)
    members = [a for a in (_demo_agent(v, e) for e in member_emails) if a is not None]
    if publisher is None or not members:
        return ["open data: demo accounts missing, nothing published"]
    admin = next((m for m in members if m.can("opendata.committee")), None)
    seated = {m["id"] for m in committee(v)}
    for m in members:
        if m.id not in seated and admin is not None:
            do_add_member(v, admin, m.id)
    existing = {d.id for d in all_datasets(v)}
    published = {p.id for p in published_datasets(v)}
    folder = v.settings.open_data_dir / "dijon" / "opendata"
    lines = []
    for spec in DATASETS:
        if spec.id in published:
            continue
        path = folder / spec.file if spec.file else None
        if path is not None and not path.is_file():
            lines.append(f"open data: {spec.id} skipped ({path} missing)")
            continue
        try:
            if spec.id not in existing:
                payload: dict[str, Any] = {
                    "id": spec.id,
                    "metadata": spec.meta,
                    "source": spec.source,
                    "rules": spec.rules,
                    "params": spec.params,
                }
                if spec.columns is not None:
                    payload["columns"] = spec.columns
                do_create_dataset(v, publisher, payload, summary="Jeu proposé par la démonstration de Dijon.")
            if path is not None:
                do_upload(v, publisher, spec.id, path.read_bytes(), path.suffix.lstrip("."))
            for p in proposals(v, spec.id):
                if p.status == "open":
                    for m in members:
                        do_vote(v, m, p.id, "approve")
                    do_decide(v, members[0], p.id, spec.reasons)
            release = do_release(v, publisher, spec.id)
            if release.status == "blocked" and spec.revised is not None:
                lines.append(f"open data: {spec.id} blocked: {release.reason}")
                proposal = do_propose_rules(v, publisher, spec.id, spec.revised, spec.revised_summary)
                for m in members:
                    do_vote(v, m, proposal, "approve")
                do_decide(v, members[0], proposal, "Sans commune ni position, le k-anonymat est respecté.")
                release = do_release(v, publisher, spec.id, note="Rules revised after a blocked release.")
        except VigieError as exc:
            lines.append(f"open data: {spec.id} not published: {exc.message}")
            continue
        if release.status == "published":
            lines.append(f"open data: {spec.id} version {release.version}, {release.rows} rows")
        else:
            lines.append(f"open data: {spec.id} blocked: {release.reason}")
    return lines
