"""``vigie import video-sites`` and ``vigie video check``: video protection from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

video_app = typer.Typer(help="Video protection: compliance.", no_args_is_help=True)


def import_video_sites(
    file: Path = typer.Argument(..., help="CSV or GeoJSON list of camera systems (sites)."),
    mapping: str = typer.Option(
        ...,
        "--mapping",
        help="Mapping YAML file, or the name of a bundled mapping (e.g. paris_videoprotection).",
    ),
) -> None:
    """Import camera systems (sites) with a declarative mapping; authorisation data may follow."""
    from vigie.cli import run_file_import
    from vigie.videoprotection.importer import run_site_import

    run_file_import(
        lambda v: run_site_import(v, file, mapping, progress=True),
        "invalid mapping",
        lambda r: bool(r.failed and not r.created and not r.skipped),
    )


@video_app.command("check")
def check() -> None:
    """Open and close the compliance alerts now (the alarm timer also does it hourly)."""
    from vigie.bootstrap import build_vigie
    from vigie.videoprotection.actions import do_check_compliance

    v = build_vigie()
    try:
        result = do_check_compliance(v)
    finally:
        v.db.dispose()
    typer.echo(
        f"compliance alerts: {result['open']} open ({result['opened']} opened, {result['closed']} closed)"
    )


__all__ = ["import_video_sites", "video_app"]
