"""The Dijon demo publishes its datasets through the review and the charter."""

from __future__ import annotations

import pyshacl
from rdflib import RDF, Graph
from rdflib.namespace import DCTERMS as DCT

from tests.opendata.helpers import SHAPES
from vigie.accounts.actions import do_add_user
from vigie.assets.demo import load_demo_fleet
from vigie.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_REPORTS, _demo_reports
from vigie.opendata.dcat_vocab import DCAT
from vigie.opendata.dcat_web import render_catalogue
from vigie.opendata.demo import load_demo_opendata
from vigie.opendata.queries import published_datasets, read_release, releases, time_field
from vigie.opendata.review import proposals


def _load(v):
    """The parts of `vigie demo` the open data draws on (the whole demo is much longer)."""
    return load_demo_opendata(v, DEMO_ACCOUNTS[1][0], [DEMO_ACCOUNTS[3][0], DEMO_ACCOUNTS[1][0]])


def test_opendata_demo_publishes_eight_datasets_through_the_charter(module_vigie):
    v = module_vigie
    for email, role, name, team in DEMO_ACCOUNTS:
        do_add_user(v.db, email, role, DEMO_PASSWORD, name=name, team=team, demo=True)
    load_demo_fleet(v, False)
    _demo_reports(v, DEMO_REPORTS, False)
    lines = _load(v)

    published = {p.id: p for p in published_datasets(v)}
    assert len(published) >= 8, lines
    assert {
        "signalements-anonymises",
        "indicateurs-signalements",
        "eclairage-public-inventaire",
        "eclairage-public-energie",
        "etats-equipements",
        "parkings-occupation",
        "stations-velodi",
        "arrets-tram",
    } <= set(published)
    assert published["parkings-occupation"].release.rows == 47_900
    assert published["stations-velodi"].dataset.geometry == ("lat", "long")
    reports = read_release(v, "signalements-anonymises")
    assert "description" not in reports.column_names and "reporter_email" not in reports.column_names
    # Every dataset was approved by the committee before its first release.
    for dataset_id in published:
        assert any(p.status == "approved" and p.reasons for p in proposals(v, dataset_id))
    # The reports' first release was blocked with its reason, then the revised rules published it.
    history = releases(v, "signalements-anonymises")
    if history[-1].status == "blocked":
        assert "k-anonymity" in history[-1].reason
    # Its DCAT-AP catalogue has no violation of the mandatory shapes (when the shapes are at hand).
    body, _ = render_catalogue(v, "ttl", 1, 100, True)
    catalogue = Graph().parse(data=body, format="turtle")
    if SHAPES.is_dir():
        shapes = Graph()
        for name in ("shapes.ttl", "range.ttl"):
            shapes.parse(SHAPES / name)
        conforms, _, text = pyshacl.validate(catalogue, shacl_graph=shapes, allow_warnings=True)
        assert conforms, text
        assert len(set(catalogue.subjects(RDF.type, DCAT.Dataset))) == len(published)
    # Every dataset with a dated row has its temporal coverage, declared or read off its release
    # (the video-protection sites are none here: this test loads no site).
    dated = set()
    for d, p in published.items():
        name = time_field(p)
        if name is not None and read_release(v, d, columns=[name]).column(name).null_count < p.release.rows:
            dated.add(d)
    covered = {
        str(catalogue.value(node, DCT.identifier))
        for node in catalogue.subjects(RDF.type, DCAT.Dataset)
        if catalogue.value(catalogue.value(node, DCT.temporal), DCAT.startDate) is not None
    }
    assert dated and dated <= covered, dated - covered
    # Running the demo again publishes nothing new.
    before = {d: len(releases(v, d)) for d in published}
    _load(v)
    assert {d: len(releases(v, d)) for d in published} == before
