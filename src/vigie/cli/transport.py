"""Commands of the transport context: `vigie transport check`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console

transport_app = typer.Typer(help="Public transport feeds (GTFS).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


@transport_app.command("check")
def check(feed: Path = typer.Argument(..., help="GTFS directory or .zip.")) -> None:
    """Read a GTFS feed as the maps will: each problem with its file, line and field."""
    from vigie.transport.gtfs import GtfsError, read_feed

    try:
        f = read_feed(feed)
    except GtfsError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False)
        err.print(f"[red]error:[/red] {exc.summary()}", highlight=False)
        raise typer.Exit(1) from None
    kinds = Counter(r.kind for r in f.routes.values())
    routes = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    drawn = len(f.shapes_by_route())
    out.print(
        f"{feed}: valid — {len(f.routes)} routes ({routes}), {drawn} with shapes, "
        f"{len(f.trips)} trips, {len(f.shapes)} shapes, {len(f.stops)} stops",
        highlight=False,
        markup=False,
    )
