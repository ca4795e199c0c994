"""`vigie backup` and `vigie restore`: the database and the files, consistent (vigie.backup)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


@contextmanager
def _progress() -> Iterator[object]:
    """A progress callback ``(step, n)`` drawing one bar per step (table, photos, files)."""
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bars:
        tasks: dict[str, object] = {}

        def advance(step: str, n: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=None)
            bars.advance(tasks[step], n)  # type: ignore[arg-type]

        yield advance


def backup(
    target: Path = typer.Argument(
        None, help="New directory for the backup (default: <data dir>/backups/<date-time>)."
    ),
    object_store: bool = typer.Option(
        False, "--object-store", help="Also copy it to the object store (VIGIE_S3_…), under backups/<name>/."
    ),
) -> None:
    """Back up the database and the files (photos, open data) in one consistent snapshot."""
    from vigie import backup as bk
    from vigie.cli import _fail, _vigie
    from vigie.errors import VigieError
    from vigie.objectstore import s3_location

    v = _vigie()
    now = dt.datetime.now(dt.UTC)
    target = target or v.settings.data_dir / "backups" / bk.backup_name(now)
    expired: list[str] = []
    try:
        with _progress() as advance:
            manifest = bk.backup(v.db, v.photos, v.settings.data_dir, target, advance)  # type: ignore[arg-type]
            if object_store:
                if not v.settings.s3_bucket:
                    _fail("--object-store needs VIGIE_S3_BUCKET (and the other VIGIE_S3_… settings).")
                bk.upload(target, s3_location(v.settings, "backups"), target.name, advance)  # type: ignore[arg-type]
        if v.settings.retention_backup_days:
            before = now - dt.timedelta(days=v.settings.retention_backup_days)
            expired = bk.expire_local(target.parent, before, keep=target.name)
            if object_store:
                expired += bk.expire_remote(s3_location(v.settings, "backups"), before, keep=target.name)
    except VigieError as exc:
        _fail(exc.message)
    finally:
        v.db.dispose()
    if manifest.missing:
        err.print(
            f"[yellow]warning:[/yellow] {len(manifest.missing)} photo file(s) named by reports were not "
            f"in the photo store (e.g. {manifest.missing[0]}); the backup lists them in manifest.json.",
            highlight=False,
        )
    rows = sum(manifest.tables.values())
    photos = sum(1 for f in manifest.files if f.startswith("photos/"))
    out.print(
        f"backup written to {target}: {rows} rows in {len(manifest.tables)} tables, {photos} photo files, "
        f"schema {manifest.revision}"
        + (f"; copied to the object store as {target.name}" if object_store else "")
        + (
            f"; {len(expired)} backup(s) older than {v.settings.retention_backup_days} days deleted"
            if expired
            else ""
        ),
        highlight=False,
        markup=False,
    )


def restore(
    source: str = typer.Argument(
        ..., help="Backup directory, or s3:NAME for the backup NAME in the object store."
    ),
) -> None:
    """Restore a backup into an empty installation (the schema is created if missing)."""
    from vigie import backup as bk
    from vigie.cli import _fail, _vigie
    from vigie.errors import VigieError
    from vigie.objectstore import s3_location

    v = _vigie()
    try:
        with _progress() as advance, tempfile.TemporaryDirectory() as tmp:
            folder = Path(source)
            if source.startswith("s3:"):
                folder = Path(tmp)
                bk.download(s3_location(v.settings, "backups"), source[3:], folder, advance)  # type: ignore[arg-type]
            manifest = bk.restore(v.db, v.photos, v.settings.data_dir, folder, advance)  # type: ignore[arg-type]
    except VigieError as exc:
        _fail(exc.message)
    finally:
        v.db.dispose()
    out.print(
        f"restored {sum(manifest.tables.values())} rows and {len(manifest.files)} files "
        f"from a backup of {manifest.created_at} (Vigie {manifest.vigie})",
        highlight=False,
        markup=False,
    )
