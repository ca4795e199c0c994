"""Tests for vigie.photos.storage: local and memory stores, key validation, factory."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from vigie.errors import NotFound, ValidationFailed
from vigie.photos import storage
from vigie.photos.storage import (
    LocalPhotoStore,
    MemoryPhotoStore,
    PhotoStore,
    make_photo_store,
    new_photo_key,
)

KEY = "abcdef0123456789"
JPEG = "image/jpeg"

BAD_KEYS = [
    pytest.param("../../etc/passwd", id="dotdot"),
    pytest.param("..", id="dotdot-short"),
    pytest.param("ab/../../x1234", id="slash"),
    pytest.param("ab\\..\\x12345", id="backslash"),
    pytest.param("/etc/passwd1", id="absolute"),
    pytest.param("abcdefgh.jpg", id="dot"),
    pytest.param("abcdefg\x00h", id="nul"),
    pytest.param("abcdefgh\n", id="trailing-newline"),
    pytest.param("short", id="too-short"),
    pytest.param("a" * 65, id="too-long"),
    pytest.param("", id="empty"),
    pytest.param("abcdéfghij", id="non-ascii"),
    pytest.param("abc defgh", id="space"),
]


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    return make_photo_store(request.param, tmp_path)


# --------------------------------------------------------------------------- both backends


def test_store_round_trip(store: PhotoStore) -> None:
    store.put(KEY, b"\xff\xd8photo-bytes", JPEG)

    assert store.exists(KEY)
    assert store.get(KEY) == b"\xff\xd8photo-bytes"


def test_store_put_replaces_previous_value(store: PhotoStore) -> None:
    store.put(KEY, b"first", JPEG)
    store.put(KEY, b"second", JPEG)

    assert store.get(KEY) == b"second"


def test_store_get_missing_raises_not_found(store: PhotoStore) -> None:
    with pytest.raises(NotFound) as caught:
        store.get(KEY)

    assert caught.value.status == 404
    assert not store.exists(KEY)


def test_store_delete_is_idempotent(store: PhotoStore) -> None:
    store.put(KEY, b"data", JPEG)

    store.delete(KEY)
    store.delete(KEY)

    assert not store.exists(KEY)
    with pytest.raises(NotFound):
        store.get(KEY)


def test_store_keys_are_independent(store: PhotoStore) -> None:
    store.put("abcdef01", b"one", JPEG)
    store.put("abcdef02", b"two", JPEG)
    store.delete("abcdef01")

    assert store.get("abcdef02") == b"two"
    assert not store.exists("abcdef01")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_store_invalid_key_refused(store: PhotoStore, key: str, tmp_path: Path) -> None:
    for call in (
        lambda: store.put(key, b"x", JPEG),
        lambda: store.get(key),
        lambda: store.delete(key),
        lambda: store.exists(key),
    ):
        with pytest.raises(ValidationFailed) as caught:
            call()
        assert caught.value.status == 422

    assert not (tmp_path.parent / "etc").exists()


def test_store_boundary_keys_accepted(store: PhotoStore) -> None:
    for key in ("a" * 8, "Z" * 64, "__--AZaz09"):
        store.put(key, key.encode(), JPEG)
        assert store.get(key) == key.encode()


def test_store_unknown_content_type_refused(store: PhotoStore) -> None:
    with pytest.raises(ValueError, match="image/jpeg"):
        store.put(KEY, b"x", "text/html")


def test_store_implements_protocol(store: PhotoStore) -> None:
    assert isinstance(store, PhotoStore)


# --------------------------------------------------------------------------- local store


def test_local_store_shards_by_first_two_characters(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path / "photos")

    store.put(KEY, b"jpeg", JPEG)
    store.put("abzzzzzz", b"other", JPEG)
    store.put("Qwertyuiop", b"webp", "image/webp")

    assert (tmp_path / "photos" / "ab" / f"{KEY}.jpg").read_bytes() == b"jpeg"
    assert (tmp_path / "photos" / "ab" / "abzzzzzz.jpg").read_bytes() == b"other"
    assert (tmp_path / "photos" / "Qw" / "Qwertyuiop.webp").read_bytes() == b"webp"
    assert store.path_for(KEY) == tmp_path / "photos" / "ab" / f"{KEY}.jpg"


def test_local_store_files_stay_under_root(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    store = LocalPhotoStore(root)
    for key in ("abcdefgh", "--------", "________"):
        store.put(key, b"x", JPEG)

    for path in tmp_path.rglob("*"):
        assert path.resolve().is_relative_to(root.resolve())


def test_local_store_atomic_write_uses_temp_file_in_same_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalPhotoStore(tmp_path)
    moves: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: str, dst: str | Path) -> None:
        moves.append((Path(src), Path(dst)))
        assert Path(dst).exists() is False or Path(dst).read_bytes() == b"old"
        real_replace(src, dst)

    store.put(KEY, b"old", JPEG)
    monkeypatch.setattr(storage.os, "replace", spy)
    store.put(KEY, b"new", JPEG)

    [(src, dst)] = moves
    assert src.parent == dst.parent == tmp_path / "ab"
    assert src != dst
    assert not src.exists()
    assert store.get(KEY) == b"new"


def test_local_store_failed_write_keeps_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalPhotoStore(tmp_path)
    store.put(KEY, b"old", JPEG)

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(storage.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        store.put(KEY, b"new" * 1000, JPEG)

    assert store.get(KEY) == b"old"
    assert sorted(p.name for p in (tmp_path / "ab").iterdir()) == [f"{KEY}.jpg"]


def test_local_store_concurrent_readers_never_see_partial_file(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    versions = [bytes([i]) * 200_000 for i in range(1, 6)]
    store.put(KEY, versions[0], JPEG)
    seen: list[bytes] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.append(store.get(KEY))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(10):
            for version in versions:
                store.put(KEY, version, JPEG)
    finally:
        done.set()
        thread.join()

    assert seen
    assert all(data in versions for data in seen)


def test_local_store_files_are_readable(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    store.put(KEY, b"x", JPEG)

    mode = stat.S_IMODE(store.path_for(KEY).stat().st_mode)
    assert mode == 0o644


def test_local_store_content_type_change_replaces_file(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    store.put(KEY, b"jpeg", JPEG)
    store.put(KEY, b"webp", "image/webp")

    assert store.get(KEY) == b"webp"
    assert sorted(p.name for p in (tmp_path / "ab").iterdir()) == [f"{KEY}.webp"]
    store.delete(KEY)
    assert not store.exists(KEY)


def test_local_store_missing_root_is_not_found(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path / "does-not-exist")

    assert not store.exists(KEY)
    store.delete(KEY)
    with pytest.raises(NotFound):
        store.get(KEY)


# --------------------------------------------------------------------------- memory store


def test_memory_store_keeps_content_type() -> None:
    store = MemoryPhotoStore()
    store.put(KEY, b"x", "image/webp")

    assert store.content_type(KEY) == "image/webp"
    assert len(store) == 1


def test_memory_store_copies_data() -> None:
    store = MemoryPhotoStore()
    buffer = bytearray(b"abc")
    store.put(KEY, buffer, JPEG)  # type: ignore[arg-type]
    buffer[0] = ord("z")

    assert store.get(KEY) == b"abc"


# --------------------------------------------------------------------------- factory


def test_make_photo_store_local_uses_photos_subdirectory(tmp_path: Path) -> None:
    store = make_photo_store("local", tmp_path)

    assert isinstance(store, LocalPhotoStore)
    assert store.root == tmp_path / "photos"


def test_make_photo_store_memory() -> None:
    assert isinstance(make_photo_store("memory", Path("/nonexistent")), MemoryPhotoStore)


def test_make_photo_store_unknown_kind_names_valid_kinds(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        make_photo_store("ftp", tmp_path)

    message = str(caught.value)
    assert "'ftp'" in message
    assert "local" in message
    assert "memory" in message


def test_new_photo_key_is_valid_and_unique(tmp_path: Path) -> None:
    keys = {new_photo_key() for _ in range(100)}

    assert len(keys) == 100
    store = LocalPhotoStore(tmp_path)
    for key in keys:
        store.put(key, b"x", JPEG)
        assert key == key.lower()
