"""Commands of the assets context, registered by :mod:`vigie.cli`.

``import_assets`` becomes ``vigie import assets FILE --mapping MAP``:

    import_app.command("assets")(import_assets)
"""

from __future__ import annotations

from pathlib import Path

import typer

from vigie.errors import ConfigurationError


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
    from vigie.cli import _fail, _vigie, out

    v = _vigie()
    try:
        result = run_asset_import(v, file, mapping, progress=True)
    except ConfigurationError as exc:
        _fail(f"invalid mapping:\n{exc}")
        return
    finally:
        v.db.dispose()
    for line in result.summary_lines():
        out.print(line, highlight=False, markup=False)
    if result.failed and not result.created and not result.skipped:
        raise typer.Exit(1)


__all__ = ["import_assets"]
