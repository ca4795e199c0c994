"""Command line: `vigie --help`. A thin adapter over the same use cases as the web."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from vigie.cli.addresses import addresses_app, import_addresses
from vigie.cli.alarms import alarms_app
from vigie.cli.assets import import_assets
from vigie.cli.backup import backup, restore
from vigie.cli.lighting import import_lamps, lighting_app
from vigie.cli.opendata import opendata_app, retention_app
from vigie.cli.telemetry import simulate, telemetry_app
from vigie.cli.transport import import_gtfs, import_places, transport_app
from vigie.cli.triage import triage_app
from vigie.cli.videoprotection import import_video_sites, video_app
from vigie.errors import ConfigurationError, VigieError
from vigie.settings import Settings, settings_markdown

if TYPE_CHECKING:
    from vigie.catalogue.domain import Catalogue
    from vigie.city.profile import CityProfile

app = typer.Typer(
    help="Vigie: citizen reports, control centre and open data for a connected city.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Service catalogue and treatment procedures.", no_args_is_help=True)
import_app = typer.Typer(help="Import data from other systems.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for Open311 clients.", no_args_is_help=True)
user_app = typer.Typer(help="Agent accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(import_app, name="import")
import_app.command("assets")(import_assets)
import_app.command("addresses")(import_addresses)
import_app.command("gtfs")(import_gtfs)
import_app.command("places")(import_places)
import_app.command("lamps")(import_lamps)
import_app.command("video-sites")(import_video_sites)
app.add_typer(video_app, name="video")
app.add_typer(addresses_app, name="addresses")
app.add_typer(apikey_app, name="apikey")
app.add_typer(user_app, name="user")
app.command("simulate")(simulate)
app.add_typer(telemetry_app, name="telemetry")
app.add_typer(alarms_app, name="alarms")
outbox_app = typer.Typer(help="E-mails to residents waiting in the outbox.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
app.add_typer(transport_app, name="transport")
app.add_typer(triage_app, name="triage")
app.add_typer(lighting_app, name="lighting")
app.add_typer(opendata_app, name="opendata")
app.add_typer(retention_app, name="retention")
app.command("backup")(backup)
app.command("restore")(restore)

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        _fail(str(exc))
        raise


def _vigie():  # type: ignore[no-untyped-def]
    from vigie.bootstrap import build_vigie

    try:
        return build_vigie(_settings())
    except ConfigurationError as exc:
        _fail(f"invalid configuration:\n{exc}")


def run_file_import(run: Callable[[Any], Any], problem: str, took_nothing: Callable[[Any], bool]) -> None:
    """The imports' command-line shape: run on the platform, print the summary, exit 1 when
    nothing of the file could be taken (a bad mapping is an error naming ``problem``)."""
    v = _vigie()
    try:
        result = run(v)
    except ConfigurationError as exc:
        _fail(f"{problem}:\n{exc}")
        return
    finally:
        v.db.dispose()
    for line in result.summary_lines():
        out.print(line, highlight=False, markup=False)
    if took_nothing(result):
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to bind (default VIGIE_HOST)."),
    port: int = typer.Option(None, help="Port (default VIGIE_PORT)."),
    workers: int = typer.Option(None, help="Worker processes (default VIGIE_WORKERS)."),
) -> None:
    """Serve the web app and APIs."""
    import uvicorn

    from vigie.startup import REPORT_FILE, STARTUP_FAILURE, reported_failure

    # The app (and every worker) reads its settings from the environment: an address
    # given here must reach them, or the default public URL would name another port.
    if host:
        os.environ["VIGIE_HOST"] = host
    if port:
        os.environ["VIGIE_PORT"] = str(port)
    s = _settings()
    proxies = [p.strip() for p in s.trusted_proxies.split(",") if p.strip()]
    n_workers = workers or s.workers
    if n_workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several workers: each writes its metrics under one directory, which /metrics
        # adds up whichever worker answers (emptied at each start: counters restart at 0).
        metrics_dir = s.data_dir / "run" / f"metrics-{s.port}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    # A start-up that fails (profile, catalogue, settings, files) ends the app's process with its
    # message (vigie.startup); several workers leave it in a file, printed here once.
    report_dir = Path(tempfile.mkdtemp(prefix="vigie-serve-")) if n_workers > 1 else None
    if report_dir is not None:
        os.environ[REPORT_FILE] = str(report_dir / "failure.txt")
    try:
        uvicorn.run(
            "vigie.app:app_from_env",
            factory=True,
            host=s.host,
            port=s.port,
            workers=n_workers,
            log_level=s.log_level,
            access_log=False,
            # X-Forwarded-* are believed only from the proxies listed in the settings.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )
        failure = reported_failure(report_dir / "failure.txt") if report_dir else None
    finally:
        if report_dir is not None:
            os.environ.pop(REPORT_FILE, None)
            shutil.rmtree(report_dir, ignore_errors=True)
    if failure is not None:
        err.print(f"error: {failure}", highlight=False, markup=False)
        raise typer.Exit(STARTUP_FAILURE)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Create or migrate the database schema."""
    from vigie.migrate import upgrade

    s = _settings()
    upgrade(s.resolved_database_url, revision)
    out.print(f"database at revision {revision} ({s.resolved_database_url.split('://')[0]})")


@app.command()
def demo() -> None:
    """Load the demo: agents, an API key, reports in the profile's zones (and Dijon's own data
    with the dijon profile). Safe to run again."""
    from vigie.demo import load_demo

    v = _vigie()
    try:
        summary = load_demo(v, progress=True)
    except VigieError as exc:
        _fail(exc.message)
        return
    finally:
        v.db.dispose()
    for line in summary:
        out.print(line, highlight=False)


def _checked_profile(city: str, catalogue: Path | None = None) -> tuple[CityProfile, Catalogue]:
    """The city's profile and its catalogue (``catalogue``, else the profile's own), or every
    problem printed with its file and line, and exit 1."""
    from vigie.catalogue.loader import load_catalogue
    from vigie.city.profile import load_profile

    try:
        profile = load_profile(city)
        return profile, load_catalogue(catalogue or profile.catalogue_path, profile.zones.codes())
    except ConfigurationError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False)
        _fail(exc.summary())
        raise  # not reached: _fail exits


@catalogue_app.command("validate")
def catalogue_validate(
    file: Path = typer.Argument(..., help="Catalogue YAML file."),
    city: str = typer.Option(None, help="City profile whose zones must all be covered (default VIGIE_CITY)."),
) -> None:
    """Validate a catalogue file: schema, references and procedure coverage."""
    profile, cat = _checked_profile(city or _settings().city, file)
    pairs = len(cat.services) * len(profile.zones.codes())
    out.print(
        f"{file}: valid — {len(cat.groups)} groups, {len(cat.services)} services, "
        f"{len(cat.procedures)} procedures; all {pairs} (service, zone) pairs of "
        f"{profile.name} resolve to exactly one procedure",
        highlight=False,
    )


@import_app.command("requests")
def import_requests(
    file: Path = typer.Argument(..., help="CSV or GeoJSON file."),
    mapping: str = typer.Option(
        ..., "--mapping", help="Mapping YAML file, or the name of a bundled mapping (e.g. sf311)."
    ),
    mode: str = typer.Option(
        "history",
        "--mode",
        help="history: reports as they were in the source (statuses, dates, notes; no SLA clock, "
        "no e-mail, one event at the end). live: taken in as current work (SLA from their date).",
    ),
    check: bool = typer.Option(
        False, "--check", help="Map and check every record, print what would be refused, write nothing."
    ),
) -> None:
    """Import a city's reports from another system with a declarative mapping (docs/import.md)."""
    from vigie.importer.run import run_import

    run_file_import(
        lambda v: run_import(v, file, mapping, progress=True, mode=mode, check=check),
        "invalid mapping",
        lambda r: bool(r.failed and not r.created and not r.skipped),
    )


@apikey_app.command("create")
def apikey_create(name: str = typer.Option(..., "--name", help="Who the key is for.")) -> None:
    """Create an Open311 API key. The key is printed once, alone on the last line."""
    from vigie.accounts.actions import do_create_api_key
    from vigie.db import Database

    s = _settings()
    db = Database(s.resolved_database_url)
    try:
        key = do_create_api_key(db, name)
    except VigieError as exc:
        _fail(exc.message)
        return
    finally:
        db.dispose()
    err.print(f"API key for '{name}' (shown only now; store it safely):")
    sys.stdout.write(key + "\n")


@apikey_app.command("list")
def apikey_list() -> None:
    """List the Open311 API keys: id, name, the key's first characters, revoked or not."""
    from vigie.accounts.actions import list_api_keys
    from vigie.db import Database

    db = Database(_settings().resolved_database_url)
    try:
        keys = list_api_keys(db)
    finally:
        db.dispose()
    for k in keys:
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
        sys.stdout.write(f"{k['id']}\t{k['name']}\t{k['prefix']}…\t{k['created_at']}\t{state}\n")


@apikey_app.command("revoke")
def apikey_revoke(key_id: int = typer.Argument(..., help="The key's id (vigie apikey list).")) -> None:
    """Revoke an Open311 API key: its next request is refused, on every worker."""
    from vigie.accounts.actions import do_revoke_api_key
    from vigie.accounts.domain import SYSTEM
    from vigie.db import Database

    db = Database(_settings().resolved_database_url)
    try:
        do_revoke_api_key(db, SYSTEM, key_id)
    except VigieError as exc:
        _fail(exc.message)
        return
    finally:
        db.dispose()
    err.print(f"API key {key_id} revoked")


@user_app.command("add")
def user_add(
    email: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help="operator, supervisor, field_agent or admin."),
    name: str = typer.Option("", "--name"),
    team: str = typer.Option("", "--team", help="Team code from the catalogue."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Add an agent account (password prompted, or read from standard input)."""
    from vigie.accounts.actions import do_add_user
    from vigie.db import Database

    password = _read_password(password_stdin)
    s = _settings()
    db = Database(s.resolved_database_url)
    try:
        agent = do_add_user(db, email, role, password, name=name, team=team)
    except VigieError as exc:
        _fail(exc.message)
        return
    finally:
        db.dispose()
    out.print(f"added {agent.email} ({agent.role.value})", highlight=False)


def _read_password(from_stdin: bool) -> str:
    """A new password: standard input's first line (for scripts), else prompted twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _on_user(email: str, act: Callable[[Any, int], int], done: str) -> None:
    from vigie.accounts.sessions import user_id_of
    from vigie.db import Database

    db = Database(_settings().resolved_database_url)
    try:
        revoked = act(db, user_id_of(db, email))
    except VigieError as exc:
        _fail(exc.message)
        return
    finally:
        db.dispose()
    out.print(f"{email}: {done}; sessions and tokens revoked: {revoked}", highlight=False)


@user_app.command("disable")
def user_disable(email: str = typer.Argument(...)) -> None:
    """Disable an agent's account: its sessions and tokens stop working at once."""
    from vigie.accounts.domain import SYSTEM
    from vigie.accounts.sessions import do_set_active

    _on_user(email, lambda db, uid: do_set_active(db, SYSTEM, uid, False), "disabled")


@user_app.command("enable")
def user_enable(email: str = typer.Argument(...)) -> None:
    """Enable an agent's account again (they sign in anew)."""
    from vigie.accounts.domain import SYSTEM
    from vigie.accounts.sessions import do_set_active

    _on_user(email, lambda db, uid: do_set_active(db, SYSTEM, uid, True), "enabled")


@user_app.command("set-password")
def user_set_password(
    email: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Reset an agent's password: its sessions and tokens stop working at once."""
    from vigie.accounts.domain import SYSTEM
    from vigie.accounts.sessions import do_reset_password

    password = _read_password(password_stdin)
    _on_user(email, lambda db, uid: do_reset_password(db, SYSTEM, uid, password), "password reset")


@outbox_app.command("send")
def outbox_send(limit: int = typer.Option(1000, help="Most messages to send in this run.")) -> None:
    """Send the e-mails that are due now (the web app's worker also does this)."""
    from vigie.notifications.service import drain_outbox, outbox_counts

    v = _vigie()
    try:
        sent = drain_outbox(v, limit)
        counts = outbox_counts(v)
    except ConfigurationError as exc:
        _fail(f"invalid configuration:\n{exc}")
        return
    finally:
        v.db.dispose()
    out.print(f"sent {sent}; pending {counts['pending']}, failed {counts['failed']}", highlight=False)


@app.command("settings-doc")
def settings_doc(
    write: Path = typer.Option(None, help="Write to this file instead of printing."),
) -> None:
    """Print the settings reference generated from their declaration."""
    text = settings_markdown()
    if write:
        write.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


if __name__ == "__main__":
    main()
