"""The Dijon demo publishes its datasets through the review and the charter."""

from __future__ import annotations

from vigie.demo import load_demo
from vigie.opendata.queries import published_datasets, read_release, releases
from vigie.opendata.review import proposals


def test_opendata_demo_publishes_eight_datasets_through_the_charter(module_vigie):
    v = module_vigie
    lines = load_demo(v)

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
    # Running the demo again publishes nothing new.
    before = {d: len(releases(v, d)) for d in published}
    load_demo(v)
    assert {d: len(releases(v, d)) for d in published} == before
