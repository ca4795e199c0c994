"""Commands of the addresses context, registered by :mod:`vigie.cli`.

``import_addresses`` becomes ``vigie import addresses FILE [--mapping MAP] [--source NAME]``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from vigie.errors import ConfigurationError


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
    from vigie.cli import _fail, _vigie, out

    v = _vigie()
    try:
        result = do_import_addresses(v, file, mapping, source, progress=True)
    except ConfigurationError as exc:
        _fail(f"cannot import {file}:\n{exc}")
        return
    finally:
        v.db.dispose()
    for line in result.summary_lines():
        out.print(line, highlight=False, markup=False)
    if not result.points and not result.places:
        raise typer.Exit(1)


__all__ = ["import_addresses"]
