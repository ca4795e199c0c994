from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from vigie.addresses.importer import do_import_addresses
from vigie.addresses.storage import AddressPlaceRow, AddressPointRow, AddressTokenStatRow
from vigie.errors import ConfigurationError
from vigie.runtime import Vigie

from .conftest import BAN_HEADER, ban_row


def _counts(v: Vigie, source: str | None = None) -> tuple[int, int]:
    with v.db.session() as s:
        places = select(func.count()).select_from(AddressPlaceRow)
        points = select(func.count()).select_from(AddressPointRow)
        if source:
            places = places.where(AddressPlaceRow.source == source)
            points = points.where(AddressPointRow.source == source)
        return int(s.scalar(places) or 0), int(s.scalar(points) or 0)


def test_addresses_import_dijon_shops_one_point_per_address(vigie: Vigie, commerces: Path) -> None:
    result = do_import_addresses(vigie, commerces, "dijon_commerces", "dijon-commerces")
    # 2,902 shops; those without a usable number are left out, shops sharing an address merged.
    assert result.read == 2902
    assert 2200 <= result.points <= 2350
    assert result.merged > 300
    assert 300 <= result.places <= 360
    # No number, no street, or no geometry: said for each feature left out.
    assert {reason.split(":")[0] for _, reason in result.skipped} == {"housenumber", "street", "lat"}
    with vigie.db.session() as s:
        liberte = s.scalars(select(AddressPlaceRow).where(AddressPlaceRow.name == "Rue de la Liberté")).one()
        where = AddressPointRow.place_id == liberte.id
        numbers = [
            tuple(r) for r in s.execute(select(AddressPointRow.number, AddressPointRow.rep).where(where))
        ]
        assert len(numbers) == len(set(numbers)) > 50  # one point per address
        assert liberte.postcode == "21000" and liberte.citycode == "21231" and liberte.city == "Dijon"
        assert liberte.min_lat <= liberte.lat <= liberte.max_lat


def test_addresses_import_again_replaces_the_source(vigie: Vigie, commerces: Path, ban_file: Path) -> None:
    first = do_import_addresses(vigie, commerces, "dijon_commerces", "dijon-commerces")
    do_import_addresses(vigie, ban_file, None, "ban-21")
    again = do_import_addresses(vigie, commerces, "dijon_commerces", "dijon-commerces")
    assert _counts(vigie, "dijon-commerces") == (first.places, first.points) == (again.places, again.points)
    assert _counts(vigie, "ban-21") == (3, 8)


def test_addresses_import_ban_csv(vigie: Vigie, ban_file: Path) -> None:
    result = do_import_addresses(vigie, ban_file, None, "ban-21")
    assert (result.points, result.places, result.skipped) == (8, 3, [])
    with vigie.db.session() as s:
        ids = set(s.scalars(select(AddressPointRow.id)))
        assert "21231_1000_00003_bis" in ids
        refs = set(s.scalars(select(AddressPlaceRow.ref)))
        assert refs == {"21231_1000", "21166_2000", "21515_3000"}
        gare = s.scalar(select(AddressTokenStatRow.places).where(AddressTokenStatRow.token == "gare"))
        assert gare == 2  # Dijon's and Chenôve's


def test_addresses_import_ban_bad_rows_are_listed(vigie: Vigie, tmp_path: Path) -> None:
    path = tmp_path / "adresses.csv"
    rows = [
        ban_row("21231_1_00001", "1", "", "Rue A", "21000", "21231", "Dijon", 5.03, 47.32),
        ban_row("21231_1_00002", "2", "", "Rue A", "21000", "21231", "Dijon", 5.03, 95.0),
        ban_row("21231_1_00003", "x", "", "Rue A", "21000", "21231", "Dijon", 5.03, 47.32),
        "21231_1_00004;21231_1;4",
    ]
    path.write_text(BAN_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = do_import_addresses(vigie, path)
    assert result.points == 1
    assert [line for line, _ in result.skipped] == [3, 4, 5]
    assert "lat" in result.skipped[0][1]


def test_addresses_import_refuses_a_csv_that_is_not_the_ban_s(vigie: Vigie, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not a BAN addresses CSV"):
        do_import_addresses(vigie, path)


def test_addresses_import_geojson_needs_a_mapping(vigie: Vigie, commerces: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs --mapping"):
        do_import_addresses(vigie, commerces)


def test_addresses_import_mapping_errors_name_the_line(vigie: Vigie, commerces: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("format: geojson\nkind: housenumber\nfields:\n  street: {column: adresse}\n")
    with pytest.raises(ConfigurationError, match="needs fields.housenumber"):
        do_import_addresses(vigie, commerces, mapping)
    mapping.write_text(
        "format: geojson\nfields:\n  housenumber: {column: nope}\n  street: {column: adresse}\n"
    )
    # A GeoJSON property that no feature has is simply empty: every record is left out.
    result = do_import_addresses(vigie, commerces, mapping)
    assert result.points == 0 and len(result.skipped) == result.read
