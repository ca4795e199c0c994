"""The controlled vocabularies the DCAT-AP catalogue points to, with their labels.

DCAT-AP asks for IRIs from the EU Publications Office's authority tables (data
themes, frequencies, file types, languages, access rights), IANA media types and
the ADMS licence and publisher types. Every concept is written into the
catalogue with its type, ``skos:prefLabel`` (French and English) and
``skos:inScheme``, so that a validator (and a harvester) needs no other file.
"""

from __future__ import annotations

from rdflib import Namespace

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")

AUTHORITY = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = AUTHORITY + "data-theme"
FREQUENCY_SCHEME = AUTHORITY + "frequency"
FILE_TYPE_SCHEME = AUTHORITY + "file-type"
LANGUAGE_SCHEME = AUTHORITY + "language"
ACCESS_RIGHT_SCHEME = AUTHORITY + "access-right"
LICENCE_TYPE_SCHEME = "http://purl.org/adms/licencetype/1.0"
PUBLISHER_TYPE_SCHEME = "http://purl.org/adms/publishertype/1.0"
IANA = "https://www.iana.org/assignments/media-types/"
GEOJSON_LITERAL = IANA + "application/vnd.geo+json"

# Vigie's frequency codes are the EU table's own codes; labels (fr, en).
FREQUENCY_LABELS: dict[str, tuple[str, str]] = {
    "DAILY": ("quotidienne", "daily"),
    "WEEKLY": ("hebdomadaire", "weekly"),
    "MONTHLY": ("mensuelle", "monthly"),
    "QUARTERLY": ("trimestrielle", "quarterly"),
    "ANNUAL": ("annuelle", "annual"),
    "IRREG": ("irrégulière", "irregular"),
}

LANGUAGES: dict[str, tuple[str, str, str]] = {  # lang tag -> (EU code, fr, en)
    "fr": ("FRA", "français", "French"),
    "en": ("ENG", "anglais", "English"),
}


class FileType:
    """A format of a distribution: EU file type, IANA media type, how Vigie serves it."""

    def __init__(self, code: str, media_type: str, fr: str, en: str) -> None:
        self.code = code
        self.media_type = media_type
        self.fr = fr
        self.en = en

    @property
    def iri(self) -> str:
        return f"{FILE_TYPE_SCHEME}/{self.code}"

    @property
    def media_iri(self) -> str:
        return IANA + self.media_type


# Keyed by Vigie's export format names (the Explore exports' path segment).
FILE_TYPES: dict[str, FileType] = {
    "parquet": FileType("PARQUET", "application/vnd.apache.parquet", "Parquet", "Parquet"),
    "csv": FileType("CSV", "text/csv", "CSV", "CSV"),
    "geojson": FileType("GEOJSON", "application/geo+json", "GeoJSON", "GeoJSON"),
    "xlsx": FileType(
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "tableur XLSX",
        "XLSX spreadsheet",
    ),
    "json": FileType("JSON", "application/json", "JSON", "JSON"),
}

# Both licences ask for attribution; the ODbL also for sharing alike (ADMS licence types).
LICENCE_TYPES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "etalab-2.0": (("Attribution", "Attribution", "Attribution"),),
    "odbl-1.0": (
        ("Attribution", "Attribution", "Attribution"),
        ("ShareAlike", "Partage dans les mêmes conditions", "Share-alike"),
    ),
}

AVAILABILITY_SCHEME = AUTHORITY + "planned-availability"
# A release's file never changes (stable); the exports and the API follow the latest one.
STABLE = (AVAILABILITY_SCHEME + "/STABLE", "stable", "stable")
AVAILABLE = (AVAILABILITY_SCHEME + "/AVAILABLE", "disponible", "available")
PUBLIC_ACCESS = (AUTHORITY + "access-right/PUBLIC", "public", "public")
LOCAL_AUTHORITY = (
    "http://purl.org/adms/publishertype/LocalAuthority",
    "Collectivité locale",
    "Local authority",
)
