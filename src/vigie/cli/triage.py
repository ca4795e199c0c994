"""Commands of service suggestion: `vigie triage evaluate`, `vigie triage suggest`."""

from __future__ import annotations

import typer
from rich.console import Console

triage_app = typer.Typer(
    help="Service suggestion from free text (e-mail and phone intake).", no_args_is_help=True
)
out = Console(soft_wrap=True)


@triage_app.command("evaluate")
def evaluate_command() -> None:
    """Top-1 and top-3 accuracy on held-out history: the learned model next to keywords only."""
    from vigie.bootstrap import build_vigie
    from vigie.settings import Settings
    from vigie.triage.actions import HELD_OUT_EVERY, evaluate

    v = build_vigie(Settings())
    try:
        result = evaluate(v)
    finally:
        v.db.dispose()
    held = result.learned.cases
    out.print(
        f"history: {result.trained_on + held} reports handled by the control room; "
        f"trained on {result.trained_on}, held out {held} (one in {HELD_OUT_EVERY}, by id)",
        highlight=False,
    )
    if held == 0:
        out.print("nothing to evaluate: no report handled by the control room has a text", highlight=False)
        raise typer.Exit(1)
    out.print(f"{'ranker':<16} {'top-1':>7} {'top-3':>7}", highlight=False)
    for name, acc in (("learned", result.learned), ("keywords only", result.keywords)):
        out.print(f"{name:<16} {acc.top1_rate:>7.1%} {acc.top3_rate:>7.1%}", highlight=False)


@triage_app.command("suggest")
def suggest_command(text: str = typer.Argument(..., help="What a resident wrote.")) -> None:
    """The three services a text most likely is about."""
    from vigie.bootstrap import build_vigie
    from vigie.settings import Settings
    from vigie.triage.actions import suggest

    v = build_vigie(Settings())
    try:
        for s in suggest(v, text):
            service = v.catalogue.service(s.service_code)
            out.print(f"{s.service_code}\t{service.name.get('fr') if service else ''}", highlight=False)
    finally:
        v.db.dispose()
