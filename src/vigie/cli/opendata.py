"""Commands of the open data context: `vigie opendata list`, `release`, `release-due`."""

from __future__ import annotations

import typer
from rich.console import Console

opendata_app = typer.Typer(help="Open data: datasets and their releases.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


@opendata_app.command("list")
def list_datasets() -> None:
    """Every dataset: its status, rules version and latest release."""
    from vigie.bootstrap import build_vigie
    from vigie.opendata.queries import all_datasets, releases

    v = build_vigie()
    try:
        for d in all_datasets(v):
            last = releases(v, d.id)[:1]
            state = (
                f"version {last[0].version}, {last[0].rows} rows"
                if last and last[0].status == "published"
                else (f"blocked: {last[0].reason}" if last else "no release")
            )
            out.print(
                f"{d.id:<32} {d.status:<10} rules v{d.rules_version:<3} {state}",
                highlight=False,
                markup=False,
            )
    finally:
        v.db.dispose()


@opendata_app.command("release")
def release(
    dataset: str = typer.Argument(..., help="Dataset id."),
    note: str = typer.Option("", help="Changelog line (default: rows and columns compared)."),
) -> None:
    """Build a release now, as the platform itself; exits 1 when the charter blocks it."""
    from vigie.accounts.domain import SYSTEM
    from vigie.bootstrap import build_vigie
    from vigie.errors import VigieError
    from vigie.opendata.actions import do_release

    v = build_vigie()
    try:
        row = do_release(v, SYSTEM, dataset, note=note)
    except VigieError as exc:
        err.print(f"[red]error:[/red] {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        v.db.dispose()
    if row.status == "blocked":
        err.print(f"{dataset}: blocked: {row.reason}", highlight=False, markup=False)
        raise typer.Exit(1)
    out.print(f"{dataset}: version {row.version} published, {row.rows} rows", highlight=False)


@opendata_app.command("release-due")
def release_due() -> None:
    """Release every dataset whose update frequency says a release is due (for cron)."""
    from vigie.bootstrap import build_vigie
    from vigie.opendata.actions import do_release_due

    v = build_vigie()
    try:
        rows = do_release_due(v)
    finally:
        v.db.dispose()
    for row in rows:
        state = (
            f"version {row.version}, {row.rows} rows"
            if row.status == "published"
            else f"blocked: {row.reason}"
        )
        out.print(f"{row.dataset_id}: {state}", highlight=False, markup=False)
    if not rows:
        out.print("no release due")


retention_app = typer.Typer(
    help="Retention periods per kind of data (docs/retention.md).", no_args_is_help=True
)


@retention_app.command("run")
def retention_run() -> None:
    """Apply every retention period now (the web app does it daily)."""
    from vigie.bootstrap import build_vigie
    from vigie.retention import run_retention

    v = build_vigie()
    try:
        done = run_retention(v)
    finally:
        v.db.dispose()
    for kind, counts in done.items():
        out.print(f"{kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items()), highlight=False)
