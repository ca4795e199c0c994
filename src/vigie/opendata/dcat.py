"""The DCAT-AP 3.0.1 catalogue of the published datasets, as an RDF graph (rdflib).

Built from the datasets' own metadata and their latest published release only
(an unpublished dataset is not in it): a ``dcat:Catalog`` with one
``dcat:Dataset`` per published dataset, a ``dcat:Distribution`` per format it can
be downloaded in (the release's Parquet file, the Explore exports) and one for
the records API, whose ``dcat:DataService`` serves every dataset (and, for the
datasets with a position, one through the OGC API – Features service). Publishers are
``foaf:Agent``, contact points vCard organisations (a service's address, never a
person's), licences, themes, frequencies, formats and languages IRIs of the EU
vocabularies (:mod:`vigie.opendata.dcat_vocab`).

The catalogue is paged with Hydra (``hydra:PartialCollectionView`` with
``hydra:next``, which udata — data.gouv.fr's harvester — follows first, and the
older ``hydra:PagedCollection`` with ``hydra:nextPage`` that ckanext-dcat reads).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF, RDFS, SKOS, XSD

from vigie.opendata.dcat_vocab import (
    ACCESS_RIGHT_SCHEME,
    ADMS,
    AVAILABILITY_SCHEME,
    AVAILABLE,
    DCAT,
    DCATAP,
    FILE_TYPE_SCHEME,
    FILE_TYPES,
    FREQUENCY_LABELS,
    FREQUENCY_SCHEME,
    GEOJSON_LITERAL,
    GSP,
    HYDRA,
    LANGUAGE_SCHEME,
    LANGUAGES,
    LICENCE_TYPE_SCHEME,
    LICENCE_TYPES,
    LOCAL_AUTHORITY,
    LOCN,
    PUBLIC_ACCESS,
    PUBLISHER_TYPE_SCHEME,
    SPDX,
    STABLE,
    THEME_SCHEME,
    VCARD,
    FileType,
)
from vigie.opendata.domain import LICENCES, THEMES, Metadata
from vigie.opendata.queries import Published

EXPLORE = "/api/explore/v2.1/catalog/datasets"
EXPLORE_STANDARD = "https://help.opendatasoft.com/apis/ods-explore-v2/"
CATALOGUE_PATH = "/donnees/catalogue"
OGC = "/api/ogc"
OGC_STANDARD = "http://www.opengis.net/doc/IS/ogcapi-features-1/1.0"
EXPORTS = ("csv", "geojson", "xlsx", "json")  # beside the release's own Parquet file


@dataclass(frozen=True)
class Page:
    """Which slice of the catalogue a document holds, and how its links are written."""

    number: int  # from 1
    size: int
    total: int
    extension: str = ""  # "ttl", "rdf", "jsonld"; "" for the content-negotiated URL

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    def url(self, base: str, number: int) -> str:
        path = f"{CATALOGUE_PATH}.{self.extension}" if self.extension else CATALOGUE_PATH
        return f"{base}{path}?{urlencode({'page': number, 'page_size': self.size})}"


@dataclass(frozen=True)
class Entry:
    published: Published
    first_issued: datetime  # the first published release
    # The first and last days of the release's date field (its dct:temporal when the metadata
    # declares none).
    span: tuple[date, date] | None = None


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "publisher"


def _dt(value: datetime) -> Literal:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return Literal(aware.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _date(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


class CatalogueBuilder:
    """Writes one page of the catalogue into a graph; shared nodes are written once."""

    def __init__(self, base: str, city: str) -> None:
        self.base = base.rstrip("/")
        self.city = city
        self.g = Graph()
        for prefix, ns in (
            ("dcat", DCAT),
            ("dct", DCT),
            ("dcatap", DCATAP),
            ("foaf", FOAF),
            ("vcard", VCARD),
            ("skos", SKOS),
            ("adms", ADMS),
            ("spdx", SPDX),
            ("locn", LOCN),
            ("hydra", HYDRA),
            ("gsp", GSP),
        ):
            self.g.bind(prefix, ns)
        self._written: set[str] = set()
        self.ogc: URIRef | None = None  # the OGC API's DataService, when a dataset has a position

    # --- shared nodes ---------------------------------------------------------------

    def _once(self, iri: str) -> bool:
        if iri in self._written:
            return False
        self._written.add(iri)
        return True

    def concept(self, iri: str, scheme: str, fr: str, en: str, *types: URIRef) -> URIRef:
        node = URIRef(iri)
        if self._once(iri):
            for t in (SKOS.Concept, *types):
                self.g.add((node, RDF.type, t))
            self.g.add((node, SKOS.prefLabel, Literal(fr, lang="fr")))
            self.g.add((node, SKOS.prefLabel, Literal(en, lang="en")))
            self.g.add((node, SKOS.inScheme, URIRef(scheme)))
        return node

    def theme_scheme(self) -> URIRef:
        node = URIRef(THEME_SCHEME)
        if self._once(THEME_SCHEME):
            self.g.add((node, RDF.type, SKOS.ConceptScheme))
            self.g.add((node, DCT.title, Literal("Data Themes", lang="en")))
            self.g.add((node, DCT.title, Literal("Thèmes des données", lang="fr")))
        return node

    def theme(self, code: str) -> URIRef:
        fr, en = THEMES[code]
        node = self.concept(f"{THEME_SCHEME}/{code}", THEME_SCHEME, fr, en)
        self.theme_scheme()
        return node

    def language(self, tag: str) -> URIRef:
        code, fr, en = LANGUAGES[tag]
        return self.concept(f"{LANGUAGE_SCHEME}/{code}", LANGUAGE_SCHEME, fr, en, DCT.LinguisticSystem)

    def publisher(self, name: str) -> URIRef:
        iri = f"{self.base}{CATALOGUE_PATH}#publisher-{slug(name)}"
        node = URIRef(iri)
        if self._once(iri):
            self.g.add((node, RDF.type, FOAF.Agent))
            self.g.add((node, RDF.type, FOAF.Organization))
            self.g.add((node, FOAF.name, Literal(name)))
            kind_iri, fr, en = LOCAL_AUTHORITY
            self.g.add((node, DCT.type, self.concept(kind_iri, PUBLISHER_TYPE_SCHEME, fr, en)))
        return node

    def licence(self, code: str) -> URIRef:
        lic = LICENCES[code]
        node = URIRef(lic.url)
        if self._once(lic.url):
            self.g.add((node, RDF.type, DCT.LicenseDocument))
            # A title, not an rdfs:label: udata reads a licence's label instead of its IRI,
            # and data.gouv.fr recognises these licences by their IRI.
            self.g.add((node, DCT.title, Literal(lic.title)))
            self.g.add((node, DCT.identifier, Literal(lic.code)))
            for name, fr, en in LICENCE_TYPES[code]:
                kind = self.concept(f"http://purl.org/adms/licencetype/{name}", LICENCE_TYPE_SCHEME, fr, en)
                self.g.add((node, DCT.type, kind))
        return node

    def document(self, url: str) -> URIRef:
        node = URIRef(url)
        if self._once(url):
            self.g.add((node, RDF.type, FOAF.Document))
        return node

    def file_type(self, ft: FileType) -> tuple[URIRef, URIRef]:
        fmt = self.concept(ft.iri, FILE_TYPE_SCHEME, ft.fr, ft.en, DCT.MediaTypeOrExtent)
        media = URIRef(ft.media_iri)
        if self._once(ft.media_iri):
            self.g.add((media, RDF.type, DCT.MediaType))
            self.g.add((media, RDF.type, DCT.MediaTypeOrExtent))
        return fmt, media

    def contact(self, owner: URIRef, m: Metadata) -> None:
        node = BNode()
        self.g.add((owner, DCAT.contactPoint, node))
        self.g.add((node, RDF.type, VCARD.Kind))
        self.g.add((node, RDF.type, VCARD.Organization))
        self.g.add((node, VCARD.fn, Literal(m.publisher)))
        self.g.add((node, VCARD.hasEmail, URIRef(f"mailto:{m.contact_point}")))

    # --- the records API ------------------------------------------------------------

    def service(self, entries: list[Entry], datasets: list[URIRef]) -> URIRef:
        node = URIRef(f"{self.base}/api/explore/v2.1#service")
        g = self.g
        if entries:
            self.contact(node, entries[0].published.metadata)
        for word, lang in (("API", "fr"), ("API", "en"), ("Opendatasoft", "fr"), ("Opendatasoft", "en")):
            g.add((node, DCAT.keyword, Literal(word, lang=lang)))
        for code in sorted({t for e in entries for t in e.published.metadata.themes}):
            g.add((node, DCAT.theme, self.theme(code)))
        g.add((node, RDF.type, DCAT.DataService))
        g.add((node, DCT.title, Literal("API des enregistrements (Explore v2.1)", lang="fr")))
        g.add((node, DCT.title, Literal("Records API (Explore v2.1)", lang="en")))
        g.add(
            (
                node,
                DCT.description,
                Literal(
                    "Les jeux publiés, interrogés comme sur un portail Opendatasoft : enregistrements "
                    "filtrés, agrégés et exports.",
                    lang="fr",
                ),
            )
        )
        g.add(
            (
                node,
                DCT.description,
                Literal(
                    "The published datasets, queried as on an Opendatasoft portal: filtered and "
                    "aggregated records, and exports.",
                    lang="en",
                ),
            )
        )
        self._endpoint(
            node,
            "explore-v2.1",
            EXPLORE,
            "/openapi.json",
            (EXPLORE_STANDARD, "Opendatasoft Explore API v2.1"),
            "/donnees",
            datasets,
        )
        return node

    def ogc_service(self, entries: list[Entry], datasets: list[URIRef]) -> URIRef:
        """OGC API – Features, serving the datasets with a position (vigie.opendata.ogc_web)."""
        node = URIRef(f"{self.base}{OGC}#service")
        g = self.g
        if entries:
            self.contact(node, entries[0].published.metadata)
        g.add((node, RDF.type, DCAT.DataService))
        g.add((node, DCT.title, Literal("OGC API – Features (données géographiques)", lang="fr")))
        g.add((node, DCT.title, Literal("OGC API – Features (geographic data)", lang="en")))
        about_fr = "Les jeux publiés ayant une position, lisibles par QGIS, GDAL ou OWSLib (GeoJSON, HTML)."
        about_en = "The published datasets with a position, readable by QGIS, GDAL or OWSLib (GeoJSON, HTML)."
        g.add((node, DCT.description, Literal(about_fr, lang="fr")))
        g.add((node, DCT.description, Literal(about_en, lang="en")))
        for word, lang in (("OGC API", "fr"), ("OGC API", "en"), ("SIG", "fr"), ("GIS", "en")):
            g.add((node, DCAT.keyword, Literal(word, lang=lang)))
        self._endpoint(
            node,
            "ogcapi-features",
            OGC,
            f"{OGC}/api",
            (OGC_STANDARD, "OGC API - Features - Part 1: Core"),
            f"{OGC}?f=html",
            datasets,
        )
        return node

    def _endpoint(
        self,
        node: URIRef,
        identifier: str,
        path: str,
        description_path: str,
        standard: tuple[str, str],
        landing_path: str,
        datasets: list[URIRef],
    ) -> None:
        """What every DataService says of itself: where it answers and is described, the
        standard it follows, its landing page, publisher, access and the datasets it serves."""
        g = self.g
        g.add((node, DCT.identifier, Literal(identifier)))
        g.add((node, DCAT.endpointURL, URIRef(f"{self.base}{path}")))
        g.add((node, DCAT.endpointDescription, URIRef(f"{self.base}{description_path}")))
        spec = URIRef(standard[0])
        g.add((node, DCT.conformsTo, spec))
        g.add((spec, RDF.type, DCT.Standard))
        g.add((spec, DCT.title, Literal(standard[1])))
        g.add((node, DCAT.landingPage, self.document(f"{self.base}{landing_path}")))
        g.add((node, DCT.publisher, self.publisher(self.city)))
        g.add((node, DCT.accessRights, self._public()))
        for d in datasets:
            g.add((node, DCAT.servesDataset, d))

    def _public(self) -> URIRef:
        iri, fr, en = PUBLIC_ACCESS
        return self.concept(iri, ACCESS_RIGHT_SCHEME, fr, en, DCT.RightsStatement)

    # --- datasets -------------------------------------------------------------------

    def dataset(self, entry: Entry, service: URIRef) -> URIRef:
        p = entry.published
        m = p.metadata
        r = p.release
        g = self.g
        page = f"{self.base}/donnees/{p.id}"
        node = URIRef(page + "#dataset")
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCT.identifier, Literal(p.id)))
        g.add((node, DCT.title, Literal(m.title_fr, lang="fr")))
        g.add((node, DCT.description, Literal(m.description_fr, lang="fr")))
        if m.title_en:
            g.add((node, DCT.title, Literal(m.title_en, lang="en")))
        if m.description_en:
            g.add((node, DCT.description, Literal(m.description_en, lang="en")))
        for word in m.keywords:
            g.add((node, DCAT.keyword, Literal(word, lang="fr")))
        for word in m.keywords_en:
            g.add((node, DCAT.keyword, Literal(word, lang="en")))
        for code in m.themes:
            g.add((node, DCAT.theme, self.theme(code)))
        fr, en = FREQUENCY_LABELS[m.frequency]
        g.add(
            (
                node,
                DCT.accrualPeriodicity,
                self.concept(f"{FREQUENCY_SCHEME}/{m.frequency}", FREQUENCY_SCHEME, fr, en, DCT.Frequency),
            )
        )
        g.add((node, DCT.issued, _dt(entry.first_issued)))
        g.add((node, DCT.modified, _dt(r.created_at)))
        g.add((node, DCAT.version, Literal(str(r.version))))
        if r.note:
            g.add((node, ADMS.versionNotes, Literal(r.note)))
        g.add((node, DCAT.landingPage, self.document(page)))
        g.add((node, DCT.publisher, self.publisher(m.publisher)))
        self.contact(node, m)
        g.add((node, DCT.accessRights, self._public()))
        for tag in ("fr", "en"):
            g.add((node, DCT.language, self.language(tag)))
        self._spatial(node, m)
        self._temporal(node, m, entry.span)
        self._provenance(node, p)
        self._distributions(node, entry, service)
        return node

    def _spatial(self, node: URIRef, m: Metadata) -> None:
        self.place(node, m.spatial, m.spatial_bbox)

    def place(self, node: URIRef, name: str, bbox: tuple[float, float, float, float] | None) -> None:
        if not name and bbox is None:
            return
        place = BNode()
        self.g.add((node, DCT.spatial, place))
        self.g.add((place, RDF.type, DCT.Location))
        if name:
            self.g.add((place, SKOS.prefLabel, Literal(name, lang="fr")))
        if bbox is not None:
            w, s, e, n = bbox
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"
            self.g.add((place, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
            centre = f"POINT({(w + e) / 2:.6f} {(s + n) / 2:.6f})"
            self.g.add((place, DCAT.centroid, Literal(centre, datatype=GSP.wktLiteral)))
            geojson = json.dumps({"type": "Polygon", "coordinates": [ring]})
            self.g.add((place, LOCN.geometry, Literal(geojson, datatype=URIRef(GEOJSON_LITERAL))))

    def _temporal(self, node: URIRef, m: Metadata, span: tuple[date, date] | None) -> None:
        """The period the metadata declares, else the one the release's date field covers."""
        start, end = m.temporal_start, m.temporal_end
        if start is None and end is None and span is not None:
            start, end = span
        if start is None and end is None:
            return
        period = BNode()
        self.g.add((node, DCT.temporal, period))
        self.g.add((period, RDF.type, DCT.PeriodOfTime))
        if start is not None:
            self.g.add((period, DCAT.startDate, _date(start)))
        if end is not None:
            self.g.add((period, DCAT.endDate, _date(end)))

    def _provenance(self, node: URIRef, p: Published) -> None:
        statement = BNode()
        self.g.add((node, DCT.provenance, statement))
        self.g.add((statement, RDF.type, DCT.ProvenanceStatement))
        rules = p.dataset.rules_version
        self.g.add(
            (
                statement,
                RDFS.label,
                Literal(
                    f"Publié selon la charte des données (règles version {rules}, approuvées par le "
                    "comité d'éthique) : texte libre et coordonnées retirés, contrôle des données "
                    "personnelles sur chaque version.",
                    lang="fr",
                ),
            )
        )
        self.g.add(
            (
                statement,
                RDFS.label,
                Literal(
                    f"Published under the data charter (rules version {rules}, approved by the ethics "
                    "committee): free text and contact data left out, every release scanned for "
                    "personal data.",
                    lang="en",
                ),
            )
        )
        if p.metadata.attribution:
            self.g.add((statement, RDFS.label, Literal(p.metadata.attribution)))

    def _distributions(self, node: URIRef, entry: Entry, service: URIRef) -> None:
        p = entry.published
        r = p.release
        page = f"{self.base}/donnees/{p.id}"
        parquet = f"{page}/versions/{r.version}"
        dist = self._distribution(node, entry, "parquet", parquet, parquet)
        self.g.add((dist, DCAT.byteSize, Literal(r.bytes, datatype=XSD.nonNegativeInteger)))
        checksum = BNode()
        algorithm = SPDX.checksumAlgorithm_sha256
        self.g.add((dist, SPDX.checksum, checksum))
        self.g.add((checksum, RDF.type, SPDX.Checksum))
        self.g.add((checksum, SPDX.algorithm, algorithm))
        self.g.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))
        self.g.add((checksum, SPDX.checksumValue, Literal(r.sha256, datatype=XSD.hexBinary)))
        for fmt in EXPORTS:
            if fmt == "geojson" and p.dataset.geometry is None:
                continue
            url = f"{self.base}{EXPLORE}/{p.id}/exports/{fmt}"
            self._distribution(node, entry, fmt, url, url)
        records = f"{self.base}{EXPLORE}/{p.id}/records"
        api = self._distribution(node, entry, "json", records, None, suffix="api")
        self.g.add((api, DCAT.accessService, service))
        if p.dataset.geometry is not None and self.ogc is not None:
            items = f"{self.base}{OGC}/collections/{p.id}/items"
            ogc = self._distribution(node, entry, "geojson", items, None, suffix="ogc")
            self.g.add((ogc, DCAT.accessService, self.ogc))

    def _distribution(
        self,
        dataset: URIRef,
        entry: Entry,
        fmt: str,
        access: str,
        download: str | None,
        suffix: str = "",
    ) -> URIRef:
        p = entry.published
        m = p.metadata
        ft = FILE_TYPES[fmt]
        node = URIRef(f"{self.base}/donnees/{p.id}#{suffix or fmt}")
        g = self.g
        g.add((dataset, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCT.identifier, Literal(f"{p.id}-{suffix or fmt}")))
        version = p.release.version
        if suffix == "ogc":
            fr = "OGC API – Features (GeoJSON)"
            en = "OGC API – Features (GeoJSON)"
            about_fr = "Les objets de la dernière version, filtrés par emprise, date ou propriété, par pages."
            about_en = "The latest version's features, filtered by box, time or property, in pages."
        elif suffix == "api":
            fr = "API des enregistrements (JSON)"
            en = "Records API (JSON)"
            about_fr = "Enregistrements filtrés, triés, agrégés (ODSQL), par pages de 100 au plus."
            about_en = "Records filtered, sorted and aggregated (ODSQL), in pages of at most 100."
        elif fmt == "parquet":
            fr, en = (
                f"{m.title_fr} (Parquet, version {version})",
                f"{m.title('en')} (Parquet, version {version})",
            )
            about_fr = f"Le fichier de la version {version}, qui ne change plus (empreinte SHA-256)."
            about_en = f"The file of version {version}, which never changes (SHA-256 checksum)."
        else:
            fr, en = f"{m.title_fr} ({ft.fr})", f"{m.title('en')} ({ft.en})"
            about_fr = f"Export de la dernière version ({version}), entier ou filtré, produit à la demande."
            about_en = f"Export of the latest version ({version}), whole or filtered, made on request."
        g.add((node, DCT.title, Literal(fr, lang="fr")))
        g.add((node, DCT.title, Literal(en, lang="en")))
        g.add((node, DCT.description, Literal(about_fr, lang="fr")))
        g.add((node, DCT.description, Literal(about_en, lang="en")))
        g.add((node, DCAT.accessURL, URIRef(access)))
        if download is not None:
            g.add((node, DCAT.downloadURL, URIRef(download)))
        fmt_node, media = self.file_type(ft)
        g.add((node, DCT.format, fmt_node))
        g.add((node, DCAT.mediaType, media))
        g.add((node, DCT.license, self.licence(m.licence)))
        g.add((node, DCT.issued, _dt(p.release.created_at)))
        g.add((node, DCT.modified, _dt(p.release.created_at)))
        iri, fr, en = STABLE if fmt == "parquet" and not suffix else AVAILABLE
        g.add((node, DCATAP.availability, self.concept(iri, AVAILABILITY_SCHEME, fr, en)))
        return node

    # --- the catalogue --------------------------------------------------------------

    def catalogue(self, entries: list[Entry], page: Page, licence: str) -> Graph:
        g = self.g
        node = URIRef(f"{self.base}{CATALOGUE_PATH}")
        g.add((node, RDF.type, DCAT.Catalog))
        g.add((node, DCT.title, Literal(f"Données ouvertes — {self.city}", lang="fr")))
        g.add((node, DCT.title, Literal(f"Open data — {self.city}", lang="en")))
        g.add(
            (
                node,
                DCT.description,
                Literal(
                    f"Les jeux de données publiés par {self.city} avec Vigie, sous la charte des données.",
                    lang="fr",
                ),
            )
        )
        g.add(
            (
                node,
                DCT.description,
                Literal(f"The datasets {self.city} publishes with Vigie, under its data charter.", lang="en"),
            )
        )
        g.add((node, DCT.publisher, self.publisher(self.city)))
        g.add((node, FOAF.homepage, self.document(f"{self.base}/donnees")))
        g.add((node, DCT.license, self.licence(licence)))
        g.add((node, DCAT.themeTaxonomy, self.theme_scheme()))
        for tag in ("fr", "en"):
            g.add((node, DCT.language, self.language(tag)))
        datasets = [URIRef(f"{self.base}/donnees/{e.published.id}#dataset") for e in entries]
        service = self.service(entries, datasets)
        g.add((node, DCAT.service, service))
        geographic = [(e, d) for e, d in zip(entries, datasets, strict=True) if e.published.dataset.geometry]
        if geographic:
            self.ogc = self.ogc_service([e for e, _ in geographic], [d for _, d in geographic])
            g.add((node, DCAT.service, self.ogc))
        for e in entries:
            g.add((node, DCAT.dataset, self.dataset(e, service)))
        boxes = [e.published.metadata.spatial_bbox for e in entries if e.published.metadata.spatial_bbox]
        union = (
            (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            if boxes
            else None
        )
        self.place(node, self.city, union)
        if entries:
            g.add((node, DCT.issued, _dt(min(e.first_issued for e in entries))))
            g.add((node, DCT.modified, _dt(max(e.published.release.created_at for e in entries))))
        self._paging(node, page)
        return g

    def _paging(self, catalog: URIRef, page: Page) -> None:
        g = self.g
        view = URIRef(page.url(self.base, page.number))
        g.add((catalog, RDF.type, HYDRA.Collection))
        g.add((catalog, HYDRA.totalItems, Literal(page.total)))
        g.add((catalog, HYDRA.view, view))
        g.add((view, RDF.type, HYDRA.PartialCollectionView))
        g.add((view, RDF.type, HYDRA.PagedCollection))
        links = {
            "first": 1,
            "last": page.last,
            "next": page.number + 1 if page.number < page.last else None,
            "previous": page.number - 1 if page.number > 1 else None,
        }
        for name, number in links.items():
            if number is None:
                continue
            url = page.url(self.base, number)
            g.add((view, HYDRA[name], URIRef(url)))
            g.add((view, HYDRA[f"{name}Page"], Literal(url)))  # hydra:PagedCollection's names
        g.add((view, HYDRA.itemsPerPage, Literal(page.size)))
        g.add((view, HYDRA.totalItems, Literal(page.total)))


def catalogue_graph(
    entries: list[Entry], page: Page, base: str, city: str, licence: str = "etalab-2.0"
) -> Graph:
    """One page of the DCAT-AP catalogue (``entries`` are that page's datasets)."""
    return CatalogueBuilder(base, city).catalogue(entries, page, licence)
