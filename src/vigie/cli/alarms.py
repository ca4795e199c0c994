"""Commands of the alarms context: `vigie alarms validate`, `vigie alarms escalate`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

alarms_app = typer.Typer(help="Alarm rules and timers.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


@alarms_app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="Alarm rules YAML file."),
) -> None:
    """Check an alarm rules file: schema, conditions, measurement names, services (file:line)."""
    from vigie.alarms.rules import load_rules
    from vigie.catalogue.loader import load_catalogue
    from vigie.city.profile import load_profile
    from vigie.errors import ConfigurationError
    from vigie.settings import Settings

    city = load_profile(Settings().city)
    services = load_catalogue(city.catalogue_path).services.keys()
    try:
        rules = load_rules(file, services)
    except ConfigurationError as exc:
        for p in exc.problems:
            err.print(str(p), highlight=False)
        raise typer.Exit(1) from None
    out.print(f"{file}: {len(rules)} rules OK", highlight=False)


@alarms_app.command("escalate")
def escalate() -> None:
    """Escalate now the alarms nobody acknowledged in time (the web process does it every tick)."""
    from vigie.alarms.actions import do_escalate_due
    from vigie.bootstrap import build_vigie
    from vigie.settings import Settings

    v = build_vigie(Settings())
    try:
        out.print(f"{do_escalate_due(v)} alarms escalated", highlight=False)
    finally:
        v.db.dispose()
