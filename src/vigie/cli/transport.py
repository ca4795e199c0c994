"""Commands of the transport context: `vigie transport check|rebuild-day`, `vigie import gtfs`."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

transport_app = typer.Typer(help="Public transport feeds (GTFS).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _problems(exc: Exception) -> None:
    from vigie.errors import ConfigurationError

    assert isinstance(exc, ConfigurationError)
    for problem in exc.problems:
        err.print(str(problem), highlight=False, markup=False)
    err.print(f"[red]error:[/red] {exc.summary()}", highlight=False)
    raise typer.Exit(1)


@transport_app.command("check")
def check(feed: Path = typer.Argument(..., help="GTFS directory or .zip.")) -> None:
    """Read a GTFS feed as the maps will: each problem with its file, line and field."""
    from vigie.transport.gtfs import GtfsError, read_feed

    try:
        f = read_feed(feed)
    except GtfsError as exc:
        _problems(exc)
        return
    kinds = Counter(r.kind for r in f.routes.values())
    routes = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    drawn = len(f.shapes_by_route())
    out.print(
        f"{feed}: valid — {len(f.routes)} routes ({routes}), {drawn} with shapes, "
        f"{len(f.trips)} trips, {len(f.shapes)} shapes, {len(f.stops)} stops",
        highlight=False,
        markup=False,
    )


@transport_app.command("rebuild-day")
def rebuild_day(
    feed: Path = typer.Argument(..., help="GTFS directory of the recorded day (without stop_times.txt)."),
    observed: Path = typer.Argument(
        ..., help="CSV of GTFS-Realtime observations (trip_id, stop_id, delays, times)."
    ),
    out_dir: Path = typer.Argument(..., help="Directory to write the rebuilt GTFS feed to."),
    start: str = typer.Option("", help="First day the rebuilt day runs (YYYY-MM-DD); default today."),
    days: int = typer.Option(366, min=1, max=1000, help="Days it runs from then on."),
) -> None:
    """Rebuild a recorded day's timetable (scheduled = observed - delay) as a GTFS feed."""
    from vigie.transport.gtfs import GtfsError
    from vigie.transport.replay import rebuild_day as rebuild

    try:
        first = date.fromisoformat(start) if start else date.today()
    except ValueError:
        err.print(f"[red]error:[/red] --start {start!r} is not a date (YYYY-MM-DD)", highlight=False)
        raise typer.Exit(2) from None
    try:
        day, trips, stop_times = rebuild(feed, observed, out_dir, first, days)
    except GtfsError as exc:
        _problems(exc)
        return
    out.print(
        f"{out_dir}: {trips} trips of {day} with {stop_times} stop times, running every day from {first}",
        highlight=False,
        markup=False,
    )


def import_gtfs(feed: Path = typer.Argument(..., help="GTFS directory or .zip with stop_times.txt.")) -> None:
    """Import a GTFS feed's timetable (replaces the one imported before; nothing is written if invalid)."""
    from vigie.cli import _vigie
    from vigie.transport.gtfs import GtfsError
    from vigie.transport.importer import do_import_gtfs

    v = _vigie()
    try:
        result = do_import_gtfs(v, feed, progress=True)
    except GtfsError as exc:
        _problems(exc)
        return
    finally:
        v.db.dispose()
    out.print(result.summary(), highlight=False, markup=False)


def import_places(
    file: Path = typer.Argument(..., help="CSV or GeoJSON file of points of interest."),
    mapping: str = typer.Option(
        ...,
        "--mapping",
        help="Mapping YAML file, or the name of a bundled places mapping (e.g. dijon_schools).",
    ),
    source: str = typer.Option(
        "", help="Name of the source (default: the mapping's); importing it again replaces it."
    ),
) -> None:
    """Import points of interest (schools, shops, stations…) with a declarative mapping."""
    from vigie.cli import run_file_import
    from vigie.places.importer import do_import_places

    run_file_import(
        lambda v: do_import_places(v, file, mapping, source or None, progress=True),
        "invalid mapping",
        lambda r: not r.imported,
    )


__all__ = ["import_gtfs", "import_places", "transport_app"]
