"""Backup and restore (vigie.backup): a restored installation equals the one backed up."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import BASE_PG_URL, PG_URL, derived_database_url, fresh_pg_schema, settings_for
from tests.reports.helpers import jpeg_bytes, make_varied_reports, report_body
from tests.s3server import ACCESS_KEY, SECRET_KEY, running_s3_server
from vigie import backup as bk
from vigie.app import create_app
from vigie.bootstrap import build_vigie
from vigie.db import Database
from vigie.errors import Conflict, ValidationFailed
from vigie.objectstore import S3Location
from vigie.photos.storage import LocalPhotoStore
from vigie.reports.actions import do_follow
from vigie.runtime import Vigie


def _quiet(step: str, n: int) -> None:
    pass


def _fill(vigie: Vigie) -> None:
    """Reports of every kind, with photos, updates, follows; an open data file."""
    make_varied_reports(vigie)
    with TestClient(create_app(vigie=vigie)) as client:
        form = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in report_body().items()}
        made = client.post(
            "/api/v1/reports", data=form, files={"photos": ("p.jpg", jpeg_bytes(), "image/jpeg")}
        )
        assert made.status_code == 201, made.text
        do_follow(vigie, made.json()["id"], "suivi@example.org", lang="fr")
    upload = vigie.settings.data_dir / "opendata" / "uploads" / "parkings" / "occupancy.csv"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("parking;date;libres\nDarcy;2023-10-31T08:00;112\n", encoding="utf-8")


def _everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    with db.engine.connect() as conn:
        for table in bk.tables():
            order = list(table.primary_key.columns) or list(table.columns)[:1]
            found[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return found


def _empty_target(tmp_path: Path) -> str:
    """An installation with no schema yet, on the backend under test."""
    if PG_URL:
        url = derived_database_url(BASE_PG_URL, "restore", PG_URL.rsplit("_", 1)[-1])
        fresh_pg_schema(url)
        engine = Database(url).engine
        with engine.begin() as conn:  # truly empty: no schema, restore creates it
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path / 'restored' / 'vigie.db'}"


def test_backup_restore_gives_back_every_row_and_file(vigie: Vigie, tmp_path: Path) -> None:
    _fill(vigie)
    target = tmp_path / "backup"

    manifest = bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, target, _quiet)

    assert manifest.tables["reports"] >= 5 and manifest.tables["report_photos"] >= 1
    # Each photo and its thumbnail; the rows make_varied_reports wrote without bytes are named.
    carried = sum(1 for f in manifest.files if f.startswith("photos/"))
    assert carried + len(manifest.missing) == 2 * manifest.tables["report_photos"]
    assert carried == 2
    assert "files/opendata/uploads/parkings/occupancy.csv" in manifest.files

    url = _empty_target(tmp_path)
    data_dir = tmp_path / "restored-data"
    restored_db = Database(url)
    photos = LocalPhotoStore(data_dir / "photos")
    try:
        bk.restore(restored_db, photos, data_dir, target, _quiet)
        assert _everything(restored_db) == _everything(vigie.db)
    finally:
        restored_db.dispose()
    for rel in manifest.files:
        if rel.startswith("photos/"):
            key = rel.removeprefix("photos/")
            assert photos.get(key) == vigie.photos.get(key)
    assert (
        (data_dir / "opendata" / "uploads" / "parkings" / "occupancy.csv")
        .read_text(encoding="utf-8")
        .startswith("parking;")
    )

    # The restored installation goes on: ids continue after the restored ones.
    again = build_vigie(settings_for(data_dir, url))
    try:
        with TestClient(create_app(vigie=again)) as client:
            made = client.post("/api/v1/reports", json=report_body())
        assert made.status_code == 201, made.text
        assert int(made.json()["id"]) > max(r[0] for r in _everything(vigie.db)["reports"])
    finally:
        again.db.dispose()


def test_backup_restore_refuses_a_non_empty_installation(vigie: Vigie, tmp_path: Path) -> None:
    _fill(vigie)
    bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)
    before = _everything(vigie.db)

    with pytest.raises(Conflict, match="not empty"):
        bk.restore(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)

    assert _everything(vigie.db) == before


def test_backup_restore_refuses_a_damaged_backup(vigie: Vigie, tmp_path: Path) -> None:
    _fill(vigie)
    bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)
    path = tmp_path / "b" / "tables" / "reports.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).splitlines()
    path.write_bytes(gzip.compress(b"\n".join(lines[:-1]) + b"\n"))  # one report dropped
    url = _empty_target(tmp_path)
    db = Database(url)
    try:
        with pytest.raises(ValidationFailed, match="damaged.*reports.jsonl.gz"):
            bk.restore(db, LocalPhotoStore(tmp_path / "p"), tmp_path / "d", tmp_path / "b", _quiet)
    finally:
        db.dispose()


def test_backup_goes_into_a_new_directory_only(vigie: Vigie, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "something").write_text("x")
    with pytest.raises(Conflict, match="not empty"):
        bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)


def test_backup_restore_refuses_another_schema_revision(vigie: Vigie, tmp_path: Path) -> None:
    manifest = bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)
    manifest.revision = "0001"
    manifest.write(tmp_path / "b")
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        with pytest.raises(Conflict, match="restore with the version that made it"):
            bk.restore(db, LocalPhotoStore(tmp_path / "p"), tmp_path / "d", tmp_path / "b", _quiet)
    finally:
        db.dispose()


@pytest.mark.skipif(not PG_URL, reason="the PostgreSQL run backs up PostgreSQL into SQLite")
def test_backup_from_postgresql_restores_into_sqlite(vigie: Vigie, tmp_path: Path) -> None:
    _fill(vigie)
    bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)
    db = Database(f"sqlite:///{tmp_path / 'lite' / 'vigie.db'}")
    try:
        bk.restore(db, LocalPhotoStore(tmp_path / "p"), tmp_path / "d", tmp_path / "b", _quiet)
        assert _everything(db) == _everything(vigie.db)
    finally:
        db.dispose()


def test_backup_travels_through_the_object_store(vigie: Vigie, tmp_path: Path) -> None:
    _fill(vigie)
    bk.backup(vigie.db, vigie.photos, vigie.settings.data_dir, tmp_path / "b", _quiet)
    with running_s3_server() as endpoint:
        location = S3Location(
            "backups", endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY, prefix="dijon/backups/"
        )
        location.client().create_bucket(Bucket="backups")
        bk.upload(tmp_path / "b", location, "20261207T000000Z", _quiet)
        assert bk.list_remote(location) == ["20261207T000000Z"]
        bk.download(location, "20261207T000000Z", tmp_path / "back", _quiet)
    assert bk.Manifest.read(tmp_path / "back") == bk.Manifest.read(tmp_path / "b")
    for rel, digest in bk.Manifest.read(tmp_path / "b").files.items():
        assert bk._intact(tmp_path / "back" / rel, digest)


def _fake_backup(folder: Path, manifest: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "tables").mkdir()
    (folder / "tables" / "reports.jsonl.gz").write_bytes(b"rows")
    if manifest:
        (folder / "manifest.json").write_text("{}")
    return folder


def test_backup_retention_deletes_old_backups_beside_the_new_one(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    old, recent = bk.backup_name(now - dt.timedelta(days=40)), bk.backup_name(now - dt.timedelta(days=2))
    _fake_backup(tmp_path / old)
    _fake_backup(tmp_path / recent)
    half = bk.backup_name(now - dt.timedelta(days=41))
    _fake_backup(tmp_path / half, manifest=False)  # not a whole backup: not ours to judge
    _fake_backup(tmp_path / "archive-2019")  # not a backup's name: never touched
    keep = bk.backup_name(now - dt.timedelta(days=50))  # the one just made is never deleted
    _fake_backup(tmp_path / keep)
    gone = bk.expire_local(tmp_path, now - dt.timedelta(days=35), keep=keep)
    assert gone == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([recent, half, "archive-2019", keep])
    assert bk.expire_local(tmp_path / "missing", now, keep=keep) == []
    assert bk.taken_at(old) == (now - dt.timedelta(days=40)).replace(microsecond=0)
    assert bk.taken_at("archive-2019") is None


def test_backup_retention_deletes_old_backups_in_the_object_store(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    old, recent = bk.backup_name(now - dt.timedelta(days=40)), bk.backup_name(now - dt.timedelta(days=1))
    with running_s3_server() as endpoint:
        location = S3Location(
            "backups", endpoint, "us-east-1", ACCESS_KEY, SECRET_KEY, prefix="dijon/backups/"
        )
        client = location.client()
        client.create_bucket(Bucket="backups")
        for name in (old, recent):
            bk.upload(_fake_backup(tmp_path / name), location, name, _quiet)
        # What a deletion cut short left: no manifest, files still there.
        orphan = bk.backup_name(now - dt.timedelta(days=60))
        client.put_object(Bucket="backups", Key=f"dijon/backups/{orphan}/tables/reports.jsonl.gz", Body=b"x")
        client.put_object(Bucket="backups", Key="dijon/photos/a.jpg", Body=b"x")  # another area
        gone = bk.expire_remote(location, now - dt.timedelta(days=35), keep=recent)
        keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket="backups")["Contents"])
        assert bk.list_remote(location) == [recent]
    assert gone == sorted([old, orphan])
    assert keys == sorted(
        ["dijon/photos/a.jpg"]
        + [f"dijon/backups/{recent}/{rel}" for rel in ("manifest.json", "tables/reports.jsonl.gz")]
    )
