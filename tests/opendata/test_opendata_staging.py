"""The staff's upload of a file: read and previewed, then published through the committee and
the charter; every bad file is a clear error naming its line and column."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.opendata.helpers import CARPARKS, METADATA, approve, carpark_csv, committee
from vigie.accounts.storage import AuditRow
from vigie.errors import Forbidden, NotFound, ValidationFailed
from vigie.opendata.domain import Column, ColumnKind
from vigie.opendata.queries import dataset_of, read_release, releases
from vigie.opendata.staging import do_publish_staged, do_stage_upload
from vigie.opendata.upload_tables import parse_upload

TRAMS = CARPARKS / "arrets-tram.geojson"


def _new_dataset(vigie, publisher, content=None, **over):
    staged = do_stage_upload(vigie, publisher, content or carpark_csv(200), "occupation.csv")
    preview = staged.preview()
    payload = {
        "id": "parkings",
        "metadata": {**METADATA, "title_fr": "Occupation des parkings"},
        "columns": preview["columns"],
        "rules": {"time": {"datetime": "hour"}},
        "summary": "Taux d'occupation par parking, sans donnée personnelle.",
        **over,
    }
    return preview, do_publish_staged(vigie, publisher, preview["key"], payload)


def test_opendata_staging_previews_a_new_csv_with_its_columns_read_from_the_file(vigie, make_agent):
    staged = do_stage_upload(vigie, make_agent("supervisor"), carpark_csv(200), "occupation.csv")
    preview = staged.preview()

    assert preview["rows"] == 200 and preview["format"] == "csv"
    assert (preview["encoding"], preview["delimiter"]) == ("utf-8", ",")
    assert [(c["name"], c["type"], c["kind"]) for c in preview["columns"]] == [
        ("datetime", "timestamp", "time"),
        ("parking", "string", "category"),
        ("pourcentage", "int", "measure"),
    ]
    assert len(preview["first_rows"]) == 20 and preview["points"] == []
    assert isinstance(preview["first_rows"][0]["datetime"], str)  # JSON-ready


def test_opendata_staging_new_dataset_goes_to_the_committee_then_each_file_is_a_release(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    _, out = _new_dataset(vigie, publisher)
    assert out == {"dataset": "parkings", "rows": 200, "status": "in_review"}
    assert releases(vigie, "parkings") == []  # nothing before the committee approves
    approve(vigie, members, "parkings")

    staged = do_stage_upload(vigie, publisher, carpark_csv(300), "occupation.csv", dataset_id="parkings")
    first = do_publish_staged(vigie, publisher, staged.key, {})
    staged = do_stage_upload(vigie, publisher, carpark_csv(400), "occupation.csv", dataset_id="parkings")
    second = do_publish_staged(vigie, publisher, staged.key, {})

    assert first["release"] == {"status": "published", "version": 1, "reason": "", "reasons": []}
    assert second["release"]["version"] == 2
    assert read_release(vigie, "parkings").num_rows == 400
    with vigie.db.session() as s:
        actions = s.scalars(select(AuditRow.action).where(AuditRow.target_id == "parkings")).all()
    assert actions.count("opendata.upload") == 3 and "opendata.dataset.create" in actions
    with pytest.raises(NotFound):  # a staged file is published once
        do_publish_staged(vigie, publisher, staged.key, {})


def test_opendata_staging_kinds_chosen_by_the_publisher_reach_the_charter(vigie, make_agent):
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    csv = "numero;commentaire;valeur\n1;appelé par M. Martin;3\n2;RAS;4\n".encode()
    preview = do_stage_upload(vigie, publisher, csv, "notes.csv").preview()
    columns = [
        {**c, "kind": "text"}
        if c["name"] == "commentaire"
        else {**c, "kind": "id"}
        if c["name"] == "numero"
        else c
        for c in preview["columns"]
    ]
    do_publish_staged(
        vigie, publisher, preview["key"], {"id": "notes", "metadata": METADATA, "columns": columns}
    )
    approve(vigie, members, "notes")
    staged = do_stage_upload(vigie, publisher, csv, "notes.csv", dataset_id="notes")
    assert do_publish_staged(vigie, publisher, staged.key, {})["release"]["status"] == "published"
    assert read_release(vigie, "notes").column_names == ["numero", "valeur"]


def test_opendata_staging_geojson_points_are_previewed_on_a_map(vigie, make_agent):
    if not TRAMS.is_file():
        pytest.skip(f"{TRAMS} is not available (real Dijon open data)")
    preview = do_stage_upload(vigie, make_agent("admin"), TRAMS.read_bytes(), "arrets-tram.geojson").preview()
    names = [c["name"] for c in preview["columns"]]
    assert "nom" in names and names[-2:] == ["latitude", "longitude"]
    assert "geo_point_2d" not in names  # an object property is not a column
    assert len(preview["points"]) == preview["rows"] > 30
    assert all(47.2 < lat < 47.4 and 4.9 < lon < 5.2 for lat, lon in preview["points"])


def test_opendata_staging_reads_windows_1252_and_a_chosen_delimiter(vigie, make_agent):
    agent = make_agent("supervisor")
    body = "commune|nombre\nDijon|12\nChenôve|3\n".encode("cp1252")
    staged = do_stage_upload(vigie, agent, body, "x.csv", encoding="auto", delimiter="|")
    assert staged.preview()["encoding"] == "windows-1252"
    assert staged.table.to_pylist()[1] == {"commune": "Chenôve", "nombre": 3}
    with pytest.raises(ValidationFailed, match="line 3: the file is not UTF-8") as err:
        do_stage_upload(vigie, agent, body, "x.csv", encoding="utf-8")
    assert err.value.field == "encoding"


@pytest.mark.parametrize(
    ("content", "name", "message", "field"),
    [
        (b"", "x.csv", "choose a file to upload", "file"),
        (b"a;b\n1;2\n", "x.xlsx", "choose CSV or GeoJSON", "format"),
        (b"a;b\n1;2\n3;4;5\n", "x.csv", "line 3 has 3 fields, the header has 2", "file"),
        (b"a;;c\n1;2;3\n", "x.csv", "line 1: every column needs a name", "file"),
        (b"a;a\n1;2\n", "x.csv", "line 1: column 'a' appears twice", "file"),
        (b"{", "x.geojson", "the file is not JSON", "file"),
        (b'{"type": "Feature"}', "x.geojson", "must be a FeatureCollection", "file"),
        (
            b'{"type": "FeatureCollection", "features": '
            b'[{"properties": {"n": 1}}, {"properties": {"n": {"a": 1}}}]}',
            "x.geojson",
            "feature 2, property 'n': {'a': 1} does not fit type string",
            "file",
        ),
        # malformed features: named, not a 500 (AttributeError, TypeError)
        (
            b'{"type": "FeatureCollection", "features": [{"properties": {"n": 1}}, 5]}',
            "x.geojson",
            "feature 2: not a GeoJSON feature",
            "file",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"properties": ["n"]}]}',
            "x.geojson",
            "feature 1: its properties are not an object",
            "file",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"geometry": [5.0, 47.3], "properties": {"n": 1}}]}',
            "x.geojson",
            "feature 1: its geometry is not a GeoJSON geometry",
            "file",
        ),
        (
            b'{"type": "FeatureCollection", "features": '
            b'[{"geometry": {"type": "MultiPoint", "coordinates": 5}, "properties": {"n": 1}}]}',
            "x.geojson",
            "feature 1: its MultiPoint coordinates are not a list",
            "file",
        ),
    ],
)
def test_opendata_staging_bad_files_are_refused_naming_the_problem(
    vigie, make_agent, content, name, message, field
):
    with pytest.raises(ValidationFailed, match=message) as err:
        do_stage_upload(vigie, make_agent("supervisor"), content, name)
    assert err.value.status == 422 and err.value.field == field


def test_opendata_staging_new_file_of_a_dataset_names_the_bad_line_and_column(vigie, make_agent):
    publisher = make_agent("supervisor")
    _new_dataset(vigie, publisher)
    bad = carpark_csv(5) + b"2023-06-21T10:00:00,CLEMENCEAU,beaucoup\n"
    with pytest.raises(
        ValidationFailed, match="line 7, column 'pourcentage': 'beaucoup' is not a whole number"
    ):
        do_stage_upload(vigie, publisher, bad, "occupation.csv", dataset_id="parkings")
    with pytest.raises(ValidationFailed, match="line 1: the file has no column"):
        do_stage_upload(vigie, publisher, carpark_csv(5), "x.csv", delimiter=";", dataset_id="parkings")
    with pytest.raises(ValidationFailed, match="delimiter must be"):
        do_stage_upload(vigie, publisher, carpark_csv(5), "x.csv", delimiter=":", dataset_id="parkings")


def test_opendata_staging_publish_checks_the_metadata_and_the_columns_before_keeping_anything(
    vigie, make_agent
):
    publisher = make_agent("supervisor")
    preview = do_stage_upload(vigie, publisher, carpark_csv(20), "occupation.csv").preview()
    with pytest.raises(ValidationFailed) as err:
        do_publish_staged(
            vigie, publisher, preview["key"], {"id": "parkings", "metadata": {**METADATA, "title_fr": ""}}
        )
    assert err.value.field == "metadata.title_fr"
    as_int = [{**c, "type": "int"} if c["name"] == "parking" else c for c in preview["columns"]]
    with pytest.raises(
        ValidationFailed, match="line 2, column 'parking': 'CLEMENCEAU' is not a whole number"
    ):
        do_publish_staged(
            vigie, publisher, preview["key"], {"id": "parkings", "metadata": METADATA, "columns": as_int}
        )
    with pytest.raises(NotFound):
        dataset_of(vigie, "parkings")


def test_opendata_staging_needs_the_publish_permission(vigie, make_agent):
    with pytest.raises(Forbidden):
        do_stage_upload(vigie, make_agent("operator"), carpark_csv(5), "occupation.csv")
    with pytest.raises(NotFound):
        do_publish_staged(vigie, make_agent("supervisor"), "../../etc/passwd", {})


def test_opendata_staging_codes_stay_text_and_phone_numbers_reach_the_scanner(vigie, make_agent):
    """Read as numbers, 02100 became 2100 and a phone number 612345678.0, in a number column the
    personal data scanner does not read: the release was published with the phone numbers."""
    members = committee(vigie, make_agent)
    publisher = make_agent("supervisor")
    content = b"nom;telephone;code_postal;places\nDarcy;0612345678;02100;5\nGodrans;+33612345678;21000;12\n"
    preview = do_stage_upload(vigie, publisher, content, "contacts.csv").preview()
    assert [(c["name"], c["type"]) for c in preview["columns"]] == [
        ("nom", "string"),
        ("telephone", "string"),
        ("code_postal", "string"),
        ("places", "int"),
    ]
    assert preview["first_rows"][0]["code_postal"] == "02100"
    payload = {
        "id": "contacts",
        "metadata": dict(METADATA),
        "columns": preview["columns"],
        "rules": {},
        "summary": "Des contacts.",
    }
    do_publish_staged(vigie, publisher, preview["key"], payload)
    approve(vigie, members, "contacts")
    staged = do_stage_upload(vigie, publisher, content, "contacts.csv", dataset_id="contacts")
    release = do_publish_staged(vigie, publisher, staged.key, {})["release"]
    assert release["status"] == "blocked" and "phone numbers" in release["reason"]
    # Declared a number by the publisher, a code is refused by its line, not silently changed.
    declared = (
        Column("nom", "string", ColumnKind.CATEGORY),
        Column("telephone", "float", ColumnKind.MEASURE),
        Column("code_postal", "string", ColumnKind.CATEGORY),
        Column("places", "int", ColumnKind.MEASURE),
    )
    with pytest.raises(ValidationFailed, match="line 2, column 'telephone': '0612345678' is a code"):
        parse_upload(content, "csv", declared)


def test_opendata_staging_reads_a_header_wider_than_64_kb(vigie, make_agent):
    """20,000 columns (118 KB of header): its last name, cut at 64 KB, was said to appear twice."""
    names = [f"c{i}" for i in range(20000)]
    content = (",".join(names) + "\n" + ",".join("1" for _ in names) + "\n").encode()
    preview = do_stage_upload(vigie, make_agent("supervisor"), content, "wide.csv").preview()
    assert [c["name"] for c in preview["columns"]] == names
