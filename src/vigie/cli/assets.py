"""Commands of the assets context, registered by :mod:`vigie.cli`.

``import_assets`` becomes ``vigie import assets FILE --mapping MAP``:

    import_app.command("assets")(import_assets)
"""

from __future__ import annotations

from pathlib import Path

import typer


def import_assets(
    file: Path = typer.Argument(..., help="CSV or GeoJSON file."),
    mapping: str = typer.Option(
        ...,
        "--mapping",
        help="Mapping YAML file, or the name of a bundled asset mapping (e.g. dc_streetlights).",
    ),
) -> None:
    """Import an asset inventory (lights, cabinets, cameras…) with a declarative mapping."""
    from vigie.assets.importer import run_asset_import
    from vigie.cli import run_file_import

    run_file_import(
        lambda v: run_asset_import(v, file, mapping, progress=True),
        "invalid mapping",
        lambda r: bool(r.failed and not r.created and not r.skipped),
    )


__all__ = ["import_assets"]
