"""Fixtures of the addresses tests: the real Dijon open data and small BAN files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vigie.addresses.importer import do_import_addresses
from vigie.runtime import Vigie


def _open_data() -> Path:
    """The shared real-data directory: VIGIE_OPEN_DATA_DIR, else a ``shared/data`` above the repository."""
    if os.environ.get("VIGIE_OPEN_DATA_DIR"):
        return Path(os.environ["VIGIE_OPEN_DATA_DIR"])
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data" / "dijon").is_dir():
            return parent / "shared" / "data"
    return Path("../shared/data")


OPEN_DATA = _open_data()
COMMERCES = OPEN_DATA / "dijon" / "opendata" / "commerces-de-dijon.geojson"
TRAM_STOPS = OPEN_DATA / "dijon" / "opendata" / "arrets-tram.geojson"

BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
    "source_position;source_nom_voie;certification_commune;cad_parcelles"
)


def ban_row(
    id_: str, numero: str, rep: str, voie: str, cp: str, insee: str, commune: str, lon: float, lat: float
) -> str:
    fantoir = id_.rsplit("_", 1 if not rep else 2)[0]
    return (
        f"{id_};{fantoir};{numero};{rep};{voie};{cp};{insee};{commune};;;0;0;{lon};{lat};entrée;;;"
        f"{commune.upper()};{voie.upper()};commune;commune;1;"
    )


# Two "Rue de la Gare": one in Dijon, one in Chenôve; a street of Quetigny.
BAN_ROWS = [
    ban_row("21231_1000_00001", "1", "", "Rue de la Gare", "21000", "21231", "Dijon", 5.0300, 47.3230),
    ban_row("21231_1000_00003", "3", "", "Rue de la Gare", "21000", "21231", "Dijon", 5.0305, 47.3232),
    ban_row("21231_1000_00003_bis", "3", "bis", "Rue de la Gare", "21000", "21231", "Dijon", 5.0306, 47.3233),
    ban_row("21166_2000_00001", "1", "", "Rue de la Gare", "21300", "21166", "Chenôve", 5.0050, 47.2920),
    ban_row("21166_2000_00009", "9", "", "Rue de la Gare", "21300", "21166", "Chenôve", 5.0070, 47.2925),
    ban_row(
        "21515_3000_00002",
        "2",
        "",
        "Avenue du Général de Gaulle",
        "21800",
        "21515",
        "Quetigny",
        5.1000,
        47.3130,
    ),
    ban_row(
        "21515_3000_00040",
        "40",
        "",
        "Avenue du Général de Gaulle",
        "21800",
        "21515",
        "Quetigny",
        5.1040,
        47.3130,
    ),
    ban_row(
        "21515_3000_00080",
        "80",
        "",
        "Avenue du Général de Gaulle",
        "21800",
        "21515",
        "Quetigny",
        5.1080,
        47.3130,
    ),
]


@pytest.fixture
def ban_file(tmp_path: Path) -> Path:
    path = tmp_path / "adresses-21.csv"
    path.write_text(BAN_HEADER + "\n" + "\n".join(BAN_ROWS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def commerces() -> Path:
    if not COMMERCES.is_file():
        pytest.skip(f"{COMMERCES} is not available (real Dijon open data, see shared/data/README)")
    return COMMERCES


@pytest.fixture
def dijon_gazetteer(vigie: Vigie, commerces: Path) -> Vigie:
    do_import_addresses(vigie, commerces, "dijon_commerces", "dijon-commerces")
    if TRAM_STOPS.is_file():
        do_import_addresses(vigie, TRAM_STOPS, "dijon_tram_stops", "dijon-tram-stops")
    return vigie


@pytest.fixture
def ban_gazetteer(vigie: Vigie, ban_file: Path) -> Vigie:
    do_import_addresses(vigie, ban_file, None, "ban-21")
    return vigie
