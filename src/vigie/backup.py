"""Backup and restore: the database and the files, consistent, portable between backends.

A backup is a directory (or the same files in the object store, under
``<prefix>backups/<name>/``):

* ``manifest.json`` -- Vigie's version, the schema revision, when, row counts per
  table, and the SHA-256 of every other file;
* ``tables/<table>.jsonl.gz`` -- every row of every table, read in **one snapshot**
  (a PostgreSQL ``REPEATABLE READ`` transaction, a SQLite read transaction), so the
  rows agree with each other whatever is being written meanwhile;
* ``photos/<key>`` -- the photos those rows name, read from the photo store after the
  snapshot: a photo is written before the row that names it and never changes under
  its key, so every photo the snapshot names is there;
* ``files/…`` -- the other directories Vigie keeps under its data directory
  (:data:`FILE_AREAS`: open data uploads and releases).

Rows are written as JSON with each column's type, not as SQL: a SQLite backup restores
into PostgreSQL and back. :func:`restore` loads into an **empty** installation at the
same schema revision, in one transaction, after checking every checksum.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Table, func, inspect, select, text
from sqlalchemy.types import JSON, Date, DateTime, LargeBinary, Numeric, TypeDecorator

from vigie import __version__
from vigie.db import Base, Database
from vigie.errors import Conflict, NotFound, ValidationFailed
from vigie.migrate import alembic_config, upgrade
from vigie.objectstore import S3Location
from vigie.photos.storage import PhotoStore
from vigie.reports.search import is_search_object

__all__ = ["FILE_AREAS", "Manifest", "backup", "restore"]

FORMAT = 1
FILE_AREAS = ("opendata",)
"""Directories under the data directory that a backup carries as files."""

BATCH = 2_000
Progress = Callable[[str, int], None]  # (step, units done since last call)


@dataclass
class Manifest:
    vigie: str
    revision: str
    dialect: str
    created_at: str
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    missing: list[str] = field(default_factory=list)  # photo keys named by a row, not in the store
    format: int = FORMAT

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / "manifest.json"
        if not path.is_file():
            raise NotFound(f"{folder} is not a Vigie backup: it has no manifest.json.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(f"{path} is not a valid backup manifest: {exc}.") from None
        if manifest.format != FORMAT:
            raise ValidationFailed(f"{path}: backup format {manifest.format}; this Vigie reads {FORMAT}.")
        return manifest

    def write(self, folder: Path) -> None:
        body = json.dumps(self.__dict__, indent=2, sort_keys=True)
        (folder / "manifest.json").write_text(body + "\n", encoding="utf-8")


# --- values: each column's type says how it travels as JSON ------------------------------


def _kind(column: Any) -> str:
    t = column.type
    if isinstance(t, TypeDecorator):
        t = t.impl_instance if hasattr(t, "impl_instance") else t.impl
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, LargeBinary):
        return "bytes"
    if isinstance(t, Numeric) and getattr(t, "asdecimal", False):
        return "decimal"
    if isinstance(t, JSON):
        return "json"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    if kind == "decimal":
        return str(value)
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    import vigie.models  # noqa: F401 - fills the metadata with every context's tables

    return list(Base.metadata.sorted_tables)


def schema_revision(conn: Connection) -> str:
    return MigrationContext.configure(conn).get_current_revision() or ""


def code_revision(url: str) -> str:
    return str(ScriptDirectory.from_config(alembic_config(url)).get_current_head())


# --- backup -----------------------------------------------------------------------------


def backup(db: Database, photos: PhotoStore, data_dir: Path, target: Path, progress: Progress) -> Manifest:
    """Write a consistent backup of ``db``, its photos and file areas into ``target`` (new)."""
    if target.exists() and any(target.iterdir()):
        raise Conflict(f"{target} exists and is not empty: a backup goes into a new directory.")
    (target / "tables").mkdir(parents=True, exist_ok=True)
    known = {t.name for t in tables()}
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            _refuse_unknown_tables(conn, known)
            manifest = Manifest(
                vigie=__version__,
                revision=schema_revision(conn),
                dialect=db.dialect,
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            photo_keys: list[str] = []
            for table in tables():
                name = f"tables/{table.name}.jsonl.gz"
                count = _dump_table(conn, table, target / name, progress, photo_keys)
                manifest.tables[table.name] = count
                manifest.files[name] = _sha256(target / name)
    for key in photo_keys:
        for stored in (key, f"{key}_t"):
            if not photos.exists(stored):
                manifest.missing.append(stored)
                continue
            path = target / "photos" / stored
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(photos.get(stored))
            manifest.files[f"photos/{stored}"] = _sha256(path)
        progress("photos", 1)
    for area in FILE_AREAS:
        source = data_dir / area
        if source.is_dir():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                rel = f"files/{area}/{path.relative_to(source).as_posix()}"
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / rel)
                manifest.files[rel] = _sha256(target / rel)
                progress("files", 1)
    manifest.write(target)
    return manifest


def _refuse_unknown_tables(conn: Connection, known: set[str]) -> None:
    present = {
        n
        for n in inspect(conn).get_table_names()
        if n != "alembic_version"
        and not n.startswith("sqlite_")
        and not n.startswith("tz_")
        and not is_search_object(n)  # an index of reports' text, rebuilt as reports are restored
    }
    unknown = sorted(present - known)
    if unknown:
        raise ValidationFailed(
            f"The database holds tables this Vigie does not know ({', '.join(unknown)}): "
            "back it up with the Vigie version that made them."
        )


def _dump_table(conn: Connection, table: Table, path: Path, progress: Progress, photos: list[str]) -> int:
    columns = list(table.columns)
    kinds = [_kind(c) for c in columns]
    order = list(table.primary_key.columns) or columns[:1]
    count = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=5) as out:
        out.write(json.dumps({"columns": [c.name for c in columns]}) + "\n")
        result = conn.execution_options(yield_per=BATCH).execute(select(*columns).order_by(*order))
        for chunk in result.partitions():
            for row in chunk:
                out.write(json.dumps([_encode(k, v) for k, v in zip(kinds, row, strict=True)]) + "\n")
            if table.name == "report_photos":
                photos.extend(r._mapping["key"] for r in chunk)
            count += len(chunk)
            progress(table.name, len(chunk))
    return count


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restore ----------------------------------------------------------------------------


def restore(db: Database, photos: PhotoStore, data_dir: Path, source: Path, progress: Progress) -> Manifest:
    """Load the backup in ``source`` into an empty installation (schema created if missing)."""
    manifest = Manifest.read(source)
    bad = [rel for rel, digest in manifest.files.items() if not _intact(source / rel, digest)]
    if bad:
        raise ValidationFailed(
            f"The backup is damaged: {len(bad)} file(s) missing or altered, e.g. {bad[0]}."
        )
    head = code_revision(db.url)
    if manifest.revision != head:
        raise Conflict(
            f"The backup is at schema revision {manifest.revision!r} (Vigie {manifest.vigie}); this "
            f"Vigie is at {head!r}: restore with the version that made it, then upgrade."
        )
    upgrade(db.url, head)
    with db.engine.connect() as conn, conn.begin():
        nonempty = [t.name for t in tables() if conn.execute(select(func.count()).select_from(t)).scalar()]
        if nonempty:
            raise Conflict(
                f"The database is not empty ({', '.join(nonempty[:5])}…): restore into a new installation."
            )
        for table in tables():
            path = source / "tables" / f"{table.name}.jsonl.gz"
            if path.is_file():
                _load_table(conn, table, path, progress)
        if db.dialect == "postgresql":
            _reset_sequences(conn)
    for rel in manifest.files:
        if rel.startswith("photos/"):
            key = rel.removeprefix("photos/")
            photos.put(key, (source / rel).read_bytes(), _content_type(source / rel))
            progress("photos", 1)
        elif rel.startswith("files/"):
            target = data_dir / rel.removeprefix("files/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, target)
            progress("files", 1)
    return manifest


def _intact(path: Path, digest: str) -> bool:
    return path.is_file() and _sha256(path) == digest


def _content_type(path: Path) -> str:
    return "image/webp" if path.read_bytes()[8:12] == b"WEBP" else "image/jpeg"


def _rows(path: Path) -> Iterator[tuple[list[str], list[Any]]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = json.loads(next(f))
        for line in f:
            yield header["columns"], json.loads(line)


def _load_table(conn: Connection, table: Table, path: Path, progress: Progress) -> None:
    batch: list[dict[str, Any]] = []
    kinds: dict[str, str] | None = None
    for names, values in _rows(path):
        if kinds is None:
            missing = [n for n in names if n not in table.c]
            if missing:
                raise ValidationFailed(f"{path.name}: columns unknown to this Vigie: {', '.join(missing)}.")
            kinds = {n: _kind(table.c[n]) for n in names}
        batch.append({n: _decode(kinds[n], v) for n, v in zip(names, values, strict=True)})
        if len(batch) >= BATCH:
            _insert(conn, table, batch, progress)
            batch = []
    if batch:
        _insert(conn, table, batch, progress)


def _insert(conn: Connection, table: Table, batch: list[dict[str, Any]], progress: Progress) -> None:
    conn.execute(table.insert(), batch)
    progress(table.name, len(batch))


def _reset_sequences(conn: Connection) -> None:
    """Ids restored as they were: each sequence continues after the largest one."""
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and _is_int(column)):
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
                ).scalar()
                if seq:
                    top = conn.execute(select(func.max(column))).scalar() or 0
                    conn.execute(text("SELECT setval(:s, :v, false)"), {"s": seq, "v": top + 1})


def _is_int(column: Any) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


def iter_files(folder: Path) -> Iterable[Path]:
    """Every file of a backup directory (for copying it to and from the object store)."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def upload(folder: Path, location: S3Location, name: str, progress: Progress) -> None:
    """Copy a backup directory to ``<location.prefix><name>/`` (the manifest last: it marks it whole)."""
    client = location.client()
    files = [p for p in iter_files(folder) if p.name != "manifest.json"] + [folder / "manifest.json"]
    for path in files:
        client.upload_file(
            str(path), location.bucket, f"{location.prefix}{name}/{path.relative_to(folder).as_posix()}"
        )
        progress("upload", 1)


def download(location: S3Location, name: str, folder: Path, progress: Progress) -> None:
    """Fetch the backup ``name`` from the object store into ``folder``."""
    client = location.client()
    prefix = f"{location.prefix}{name}/"
    paginator = client.get_paginator("list_objects_v2")
    keys = [
        o["Key"]
        for page in paginator.paginate(Bucket=location.bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    ]
    if f"{prefix}manifest.json" not in keys:
        raise NotFound(f"No complete backup named {name!r} in the object store.")
    for key in keys:
        rel = key.removeprefix(prefix)
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise ValidationFailed(f"Unsafe name in the backup: {rel!r}.")
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(location.bucket, key, str(path))
        progress("download", 1)


def list_remote(location: S3Location) -> list[str]:
    """Names of the complete backups in the object store, oldest first."""
    client = location.client()
    paginator = client.get_paginator("list_objects_v2")
    names = []
    for page in paginator.paginate(Bucket=location.bucket, Prefix=location.prefix):
        for o in page.get("Contents", []):
            rel = o["Key"].removeprefix(location.prefix)
            if rel.endswith("/manifest.json") and rel.count("/") == 1:
                names.append(rel.split("/")[0])
    return sorted(names)


# Backups are named by the time they were taken (UTC), which is what retention reads their age
# from: only directories and object prefixes with such a name (and a manifest, on disk) are
# ever deleted.
NAME_FORMAT = "%Y%m%dT%H%M%SZ"


def backup_name(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime(NAME_FORMAT)


def taken_at(name: str) -> dt.datetime | None:
    """When the backup ``name`` was taken; None when it is not a backup's name."""
    try:
        return dt.datetime.strptime(name, NAME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _expired(names: Iterable[str], before: dt.datetime, keep: str) -> list[str]:
    return sorted(
        name for name in set(names) if name != keep and (t := taken_at(name)) is not None and t < before
    )


def expire_local(folder: Path, before: dt.datetime, keep: str) -> list[str]:
    """Delete the backups in ``folder`` taken before ``before``, never ``keep`` (the one just
    made). The names deleted."""
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if p.is_dir() and (p / "manifest.json").is_file()]
    gone = _expired(names, before, keep)
    for name in gone:
        shutil.rmtree(folder / name)
    return gone


def expire_remote(location: S3Location, before: dt.datetime, keep: str) -> list[str]:
    """Delete the object store's backups taken before ``before``, never ``keep``. The manifest
    goes first, so that a deletion cut short never leaves what looks like a whole backup; its
    other objects are found again by name at the next run."""
    client = location.client()
    paginator = client.get_paginator("list_objects_v2")
    keys_of: dict[str, list[str]] = {}
    for page in paginator.paginate(Bucket=location.bucket, Prefix=location.prefix):
        for o in page.get("Contents", []):
            rel = o["Key"].removeprefix(location.prefix)
            if "/" in rel:
                keys_of.setdefault(rel.split("/")[0], []).append(o["Key"])
    gone = _expired(keys_of, before, keep)
    for name in gone:
        manifest = f"{location.prefix}{name}/manifest.json"
        keys = sorted(keys_of[name], key=lambda k: k != manifest)
        for i in range(0, len(keys), 1000):  # the most one request may delete
            batch = [{"Key": k} for k in keys[i : i + 1000]]
            client.delete_objects(Bucket=location.bucket, Delete={"Objects": batch, "Quiet": True})
    return gone
