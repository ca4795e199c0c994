"""The DCAT-AP 3.0.1 catalogue: valid against the SHACL shapes, what data.gouv.fr reads, paging, formats."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF, SKOS, XSD

from tests.conftest import PASSWORD
from tests.opendata.helpers import CARPARK_COLUMNS, SHAPES, approve, carpark_csv, create
from vigie.accounts.actions import do_add_user
from vigie.app import create_app
from vigie.errors import ValidationFailed
from vigie.opendata.actions import do_release, do_upload
from vigie.opendata.dcat_vocab import DCAT, HYDRA, SPDX, VCARD
from vigie.opendata.dcat_web import negotiate
from vigie.opendata.queries import read_release
from vigie.opendata.review import do_add_member

pyshacl = pytest.importorskip("pyshacl")

needs_shapes = pytest.mark.skipif(
    not SHAPES.is_dir(), reason=f"the DCAT-AP 3.0.1 SHACL shapes are not at {SHAPES} (../shared/standards)"
)
URL = "/donnees/catalogue"
EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
STOPS_COLUMNS = [
    {"name": "code", "type": "string", "kind": "id", "fr": "Code", "en": "Code"},
    {"name": "nom", "type": "string", "kind": "category", "fr": "Nom", "en": "Name"},
    {"name": "lat", "type": "float", "kind": "latitude", "fr": "Latitude", "en": "Latitude"},
    {"name": "lon", "type": "float", "kind": "longitude", "fr": "Longitude", "en": "Longitude"},
]
STOPS = b"code,nom,lat,lon\nA,Darcy,47.3225,5.0333\nB,Godrans,47.3230,5.0401\n"


@pytest.fixture(scope="module")
def client(module_vigie) -> Iterator[TestClient]:
    """Two published datasets (one geographic, with temporal coverage and a bounding box), one draft."""
    v = module_vigie
    users = iter(range(1000))

    def agent(role: str):  # type: ignore[no-untyped-def]
        n = next(users)
        return do_add_user(v.db, f"dcat-{role}{n}@agents.example", role, PASSWORD, name=f"{role} {n}")

    admin, members, publisher = (
        agent("admin"),
        [agent("supervisor"), agent("supervisor")],
        agent("supervisor"),
    )
    for m in members:
        do_add_member(v, admin, m.id)
    create(v, publisher, "parkings", columns=CARPARK_COLUMNS, rules={"time": {"datetime": "hour"}})
    do_upload(v, publisher, "parkings", carpark_csv(100), "csv")
    approve(v, members, "parkings")
    do_release(v, publisher, "parkings")
    do_release(v, publisher, "parkings", note="Second version.")
    meta = {
        "title_fr": "Arrêts",
        "title_en": "Stops",
        "description_fr": "Les arrêts.",
        "description_en": "The stops.",
        "publisher": "Divia Mobilités",
        "contact_point": "donnees@divia.example",
        "licence": "odbl-1.0",
        "themes": ["TRAN", "REGI"],
        "keywords": ["arrêts", "tramway"],
        "keywords_en": ["stops", "tramway"],
        "spatial": "Dijon Métropole",
        "spatial_bbox": [4.93, 47.25, 5.16, 47.40],
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "frequency": "MONTHLY",
    }
    create(v, publisher, "arrets", columns=STOPS_COLUMNS, metadata=meta)
    do_upload(v, publisher, "arrets", STOPS, "csv")
    approve(v, members, "arrets")
    do_release(v, publisher, "arrets")
    create(v, publisher, "brouillon", columns=STOPS_COLUMNS)  # never released
    with TestClient(create_app(vigie=v)) as c:
        yield c


def _graph(client: TestClient, path: str = URL + ".ttl", fmt: str = "turtle", **params: object) -> Graph:
    r = client.get(path, params=params) if params else client.get(path)
    assert r.status_code == 200, r.text
    return Graph().parse(data=r.content, format=fmt)


def _shapes(*names: str) -> Graph:
    g = Graph()
    for name in names:
        g.parse(SHAPES / name)
    return g


def _violations(data: Graph, shapes: Graph) -> list[str]:
    """The report's results of severity Violation, as text (warnings, and the details nested
    under a result, are not counted)."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    SH = "http://www.w3.org/ns/shacl#"
    out = []
    (top,) = report.subjects(RDF.type, URIRef(SH + "ValidationReport"))
    for result in report.objects(top, URIRef(SH + "result")):
        if report.value(result, URIRef(SH + "resultSeverity")) == URIRef(SH + "Violation"):
            focus = report.value(result, URIRef(SH + "focusNode"))
            path = report.value(result, URIRef(SH + "resultPath"))
            shape = report.value(result, URIRef(SH + "sourceShape"))
            out.append(f"{focus} {path} {shape}")
    return out


@pytest.fixture(scope="module")
def catalogue(client) -> Graph:
    return _graph(client)


@pytest.fixture(scope="module")
def mandatory() -> Graph:
    if not SHAPES.is_dir():
        pytest.skip(f"the DCAT-AP 3.0.1 SHACL shapes are not at {SHAPES} (../shared/standards)")
    return _shapes("shapes.ttl", "range.ttl")


@needs_shapes
def test_opendata_dcat_catalogue_has_no_violation_of_dcat_ap(catalogue, mandatory):
    assert _violations(catalogue, mandatory) == []


@needs_shapes
def test_opendata_dcat_catalogue_uses_the_controlled_vocabularies(catalogue):
    found = _violations(catalogue, _shapes("mdr-vocabularies.shape.ttl"))
    # One exception, upstream: the 3.0.1 shape wants checksum algorithms under https://spdx.org/…
    # while SPDX's own namespace (and udata's reader) is http://spdx.org/rdf/terms#.
    checksum = [f for f in found if "ChecksumAlgorithmRestriction" in f or str(SPDX.algorithm) in f]
    assert [f for f in found if f not in checksum] == []
    assert len(checksum) == 2  # the Parquet distribution of each published dataset


@needs_shapes
def test_opendata_dcat_broken_dataset_is_a_violation(catalogue, mandatory):
    broken = Graph()
    for t in catalogue:
        broken.add(t)
    dataset = URIRef("http://testserver/donnees/parkings#dataset")
    broken.remove((dataset, DCT.title, None))
    found = _violations(broken, mandatory)
    assert any(f.startswith(f"{dataset} {DCT.title}") for f in found), found


def test_opendata_dcat_holds_what_the_data_gouv_fr_harvester_reads(catalogue):
    g = catalogue
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    ids = {str(g.value(d, DCT.identifier)) for d in datasets}
    assert ids == {"parkings", "arrets"}  # the draft is not published
    d = URIRef("http://testserver/donnees/arrets#dataset")
    assert g.value(d, DCT.title) is not None and {t.language for t in g.objects(d, DCT.title)} == {"fr", "en"}
    assert Literal("Les arrêts.", lang="fr") in set(g.objects(d, DCT.description))
    assert set(g.objects(d, DCAT.keyword)) >= {Literal("arrêts", lang="fr"), Literal("stops", lang="en")}
    assert g.value(d, DCT.accrualPeriodicity) == URIRef(EU_FREQ + "MONTHLY")
    assert g.value(d, DCAT.landingPage) == URIRef("http://testserver/donnees/arrets")
    themes = set(g.objects(d, DCAT.theme))
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/TRAN") in themes
    assert all(g.value(t, SKOS.prefLabel) is not None for t in themes)
    contact = g.value(d, DCAT.contactPoint)
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:donnees@divia.example")
    publisher = g.value(d, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g and str(g.value(publisher, FOAF.name)) == "Divia Mobilités"
    period = g.value(d, DCT.temporal)
    assert str(g.value(period, DCAT.startDate)) == "2024-01-01"
    assert str(g.value(period, DCAT.endDate)) == "2024-12-31"
    place = g.value(d, DCT.spatial)
    geometry = json.loads(str(g.value(place, URIRef("http://www.w3.org/ns/locn#geometry"))))
    assert geometry["type"] == "Polygon" and geometry["coordinates"][0][0] == [4.93, 47.25]
    assert g.value(d, DCT.issued) is not None and g.value(d, DCT.modified) is not None
    formats = {}
    for dist in g.objects(d, DCAT.distribution):
        assert g.value(dist, DCAT.accessURL) is not None
        assert g.value(dist, DCT.license) == URIRef("https://opendatacommons.org/licenses/odbl/1-0/")
        formats[str(g.value(dist, DCT.format)).rsplit("/", 1)[-1]] = dist
    assert set(formats) == {"PARQUET", "CSV", "GEOJSON", "XLSX", "JSON"}
    parquet = formats["PARQUET"]
    assert str(g.value(parquet, DCAT.downloadURL)) == "http://testserver/donnees/arrets/versions/1"
    assert len(str(g.value(g.value(parquet, SPDX.checksum), SPDX.checksumValue))) == 64
    # The records API: a distribution reached through the DataService that serves every dataset.
    services = {str(g.value(x, DCAT.endpointURL)): x for x in g.subjects(RDF.type, DCAT.DataService)}
    assert set(services) == {
        "http://testserver/api/explore/v2.1/catalog/datasets",
        "http://testserver/api/ogc",
    }
    service = services["http://testserver/api/explore/v2.1/catalog/datasets"]
    assert set(g.objects(service, DCAT.servesDataset)) == datasets
    # OGC API – Features serves the datasets with a position, through a GeoJSON distribution.
    ogc = services["http://testserver/api/ogc"]
    assert set(g.objects(ogc, DCAT.servesDataset)) == {d}
    assert str(g.value(ogc, DCAT.endpointDescription)) == "http://testserver/api/ogc/api"
    features = [x for x in g.objects(d, DCAT.distribution) if g.value(x, DCAT.accessService) == ogc]
    assert [str(g.value(x, DCAT.accessURL)) for x in features] == [
        "http://testserver/api/ogc/collections/arrets/items"
    ]
    apis = [x for x in g.objects(d, DCAT.distribution) if g.value(x, DCAT.accessService) == service]
    assert [str(g.value(x, DCAT.accessURL)) for x in apis] == [
        "http://testserver/api/explore/v2.1/catalog/datasets/arrets/records"
    ]
    # A dataset without a position has no GeoJSON export; the latest version is described.
    p = URIRef("http://testserver/donnees/parkings#dataset")
    kinds = {str(g.value(x, DCT.format)).rsplit("/", 1)[-1] for x in g.objects(p, DCAT.distribution)}
    assert "GEOJSON" not in kinds and str(g.value(p, DCAT.version)) == "2"


def test_opendata_dcat_temporal_coverage_is_the_releases_dates_when_none_is_declared(catalogue, module_vigie):
    g = catalogue
    # The car parks declare no temporal coverage: it is their release's first and last days, in
    # the city's time zone (a moment near midnight UTC is the next day in Dijon).
    days = sorted(read_release(module_vigie, "parkings", columns=["datetime"]).column("datetime").to_pylist())
    zone = module_vigie.city.timezone
    period = g.value(URIRef("http://testserver/donnees/parkings#dataset"), DCT.temporal)
    assert period is not None and (period, RDF.type, DCT.PeriodOfTime) in g
    assert str(g.value(period, DCAT.startDate)) == days[0].astimezone(zone).date().isoformat()
    assert str(g.value(period, DCAT.endDate)) == days[-1].astimezone(zone).date().isoformat()
    assert g.value(period, DCAT.startDate).datatype == XSD.date
    # The stops declare theirs (and have no date field).
    declared = g.value(URIRef("http://testserver/donnees/arrets#dataset"), DCT.temporal)
    assert str(g.value(declared, DCAT.startDate)) == "2024-01-01"


def test_opendata_dcat_pages_follow_hydra_links(client):
    first = _graph(client, page_size=1)
    view = first.value(URIRef("http://testserver/donnees/catalogue"), HYDRA.view)
    assert (view, RDF.type, HYDRA.PartialCollectionView) in first
    assert (view, RDF.type, HYDRA.PagedCollection) in first
    assert int(first.value(view, HYDRA.totalItems)) == 2
    nxt = first.value(view, HYDRA.next)
    assert str(nxt) == "http://testserver/donnees/catalogue.ttl?page=2&page_size=1"
    assert str(first.value(view, HYDRA.nextPage)) == str(nxt)
    second = _graph(client, str(nxt).removeprefix("http://testserver"))
    view2 = second.value(URIRef("http://testserver/donnees/catalogue"), HYDRA.view)
    assert second.value(view2, HYDRA.next) is None and second.value(view2, HYDRA.previous) is not None
    on_first = set(first.subjects(RDF.type, DCAT.Dataset))
    on_second = set(second.subjects(RDF.type, DCAT.Dataset))
    assert len(on_first) == len(on_second) == 1 and on_first != on_second
    assert client.get(URL + ".ttl", params={"page": 3, "page_size": 1}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "x"},
        {"page_size": "0"},
        {"page_size": "1001"},
        {"limit": "5"},
        # int() reads these as 10, 5 and 5: a typo or another script is not a page number
        {"page_size": "1_0"},
        {"page_size": "\u0665"},
        {"page": " 1"},
    ],
)
def test_opendata_dcat_refuses_bad_paging(client, params):
    r = client.get(URL, params=params)
    assert r.status_code == 400
    assert next(iter(params)) in r.json()["detail"]


def test_opendata_dcat_formats_by_extension_and_accept(client):
    graphs = {}
    for accept, media, fmt in (
        ("text/turtle", "text/turtle", "turtle"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("", "application/ld+json", "json-ld"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/ld+json", "json-ld"),
    ):
        r = client.get(URL, headers={"Accept": accept} if accept else {})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), accept
        assert "Accept" in _vary(r)
        graphs[accept] = Graph().parse(data=r.content, format=fmt)
    reference = graphs["text/turtle"]
    assert all(isomorphic(reference, g) for g in graphs.values())
    for ext, media in (
        ("ttl", "text/turtle"),
        ("rdf", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
    ):
        r = client.get(f"{URL}.{ext}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        assert "Accept" not in _vary(r)
    assert client.get(URL, headers={"Accept": "image/png"}).status_code == 406
    missing = client.get(URL + ".csv")
    assert missing.status_code == 404 and "jsonld" in missing.json()["detail"]


def _vary(r) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.strip() for v in r.headers.get("vary", "").split(",")]


def test_opendata_dcat_negotiation_prefers_the_highest_q():
    assert negotiate("application/rdf+xml;q=0.5, text/turtle") == "ttl"
    assert negotiate("*/*;q=0.9, application/rdf+xml;q=0.9") == "rdf"
    assert negotiate("text/turtle;q=0") is None


def test_opendata_dcat_etag_answers_not_modified(client):
    r = client.get(URL + ".ttl")
    again = client.get(URL + ".ttl", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]


def test_opendata_dcat_is_linked_from_the_portal(client):
    page = client.get("/donnees").text
    assert 'href="/donnees/catalogue.ttl"' in page and 'href="/donnees/catalogue.jsonld"' in page


def test_opendata_dcat_reserved_ids_are_refused(module_vigie):
    admin = do_add_user(module_vigie.db, "dcat-reserved@agents.example", "admin", PASSWORD, name="admin")
    with pytest.raises(ValidationFailed, match="reserved"):
        create(module_vigie, admin, "catalogue", columns=STOPS_COLUMNS)
