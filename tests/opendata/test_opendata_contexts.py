"""Sources from other contexts: places and video-protection sites go through the charter too."""

from __future__ import annotations

from tests.opendata.helpers import METADATA, approve, committee, create
from vigie.opendata.actions import do_release
from vigie.opendata.queries import read_release
from vigie.places.storage import PlaceRow


def test_opendata_places_are_published_without_their_contact_and_text(vigie, make_agent):
    with vigie.db.session(write=True) as s:
        s.add(
            PlaceRow(
                id="dijon_shops:1",
                source="dijon_shops",
                theme="shops",
                category="Boulangerie",
                name="Au bon pain",
                address="12 rue de la Liberté",
                commune="Dijon",
                description="Ouvert le dimanche",
                phone="03 80 12 34 56",
                website="",
                hours="",
                lat=47.3221,
                lon=5.0413,
                search="au bon pain",
            )
        )
        s.commit()
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "lieux", source="places", metadata=METADATA, rules={"drop": ["id"]})
    approve(vigie, members, "lieux")

    release = do_release(vigie, publisher, "lieux")

    assert release.status == "published", release.reason
    table = read_release(vigie, "lieux")
    assert table.to_pylist() == [
        {
            "source": "dijon_shops",
            "theme": "shops",
            "category": "Boulangerie",
            "name": "Au bon pain",
            "address": "12 rue de la Liberté",
            "commune": "Dijon",
            "lat": 47.3221,
            "long": 5.0413,
        }
    ]


def test_opendata_videoprotection_sites_source_declares_no_position(vigie, make_agent):
    from vigie.opendata.contexts import SITE_COLUMNS

    assert not {"lat", "long", "latitude", "longitude"} & {c.name for c in SITE_COLUMNS}
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    create(vigie, publisher, "sites", source="videoprotection_sites", metadata=METADATA)
    approve(vigie, members, "sites")
    release = do_release(vigie, publisher, "sites")
    assert release.status == "published"
    assert "access_contact" not in read_release(vigie, "sites").column_names
