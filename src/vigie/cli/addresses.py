"""Commands of the addresses context, registered by :mod:`vigie.cli`.

``import_addresses`` becomes ``vigie import addresses FILE [--mapping MAP] [--source NAME]``.
"""

from __future__ import annotations

from pathlib import Path

import typer


def import_addresses(
    file: Path = typer.Argument(
        ..., help="BAN addresses CSV (adresses-21.csv), or a CSV/GeoJSON with --mapping."
    ),
    mapping: str = typer.Option(
        None,
        "--mapping",
        help="Mapping YAML file, or a bundled address mapping (dijon_commerces, dijon_tram_stops…); "
        "none for a BAN CSV.",
    ),
    source: str = typer.Option(
        None,
        "--source",
        help="Name of this source (default: the file's name); importing it again replaces it.",
    ),
) -> None:
    """Fill the gazetteer of the built-in geocoder (addresses, streets, named places)."""
    from vigie.addresses.importer import do_import_addresses
    from vigie.cli import run_file_import

    run_file_import(
        lambda v: do_import_addresses(v, file, mapping, source, progress=True),
        f"cannot import {file}",
        lambda r: not r.points and not r.places,
    )


addresses_app = typer.Typer(help="The gazetteer of the built-in geocoder.", no_args_is_help=True)


@addresses_app.command("export-addok")
def export_addok(
    file: Path = typer.Argument(..., help="NDJSON file to write (one addok document a line)."),
) -> None:
    """Write the gazetteer as addok documents, to load a city's addok with `addok batch FILE`."""
    from vigie.addresses.addok import write_addok
    from vigie.cli import _vigie, out

    v = _vigie()
    try:
        with file.open("w", encoding="utf-8") as f:
            n = write_addok(v.db, f)
    finally:
        v.db.dispose()
    out.print(
        f"{file}: {n} addok documents (streets with their house numbers, named places)", highlight=False
    )


__all__ = ["addresses_app", "export_addok", "import_addresses"]
