"""Where photo bytes live: a small seam chosen by configuration.

The rest of the application only talks to a :class:`PhotoStore`; the backend
is picked by :func:`make_photo_store` from the ``photo_storage`` setting:

* ``local`` -- :class:`LocalPhotoStore`, files under ``<data_dir>/photos``;
* ``memory`` -- :class:`MemoryPhotoStore`, a dict, for tests.

Keys are opaque identifiers chosen by the application (see
:func:`new_photo_key`), never by the person uploading. Every backend validates
them against :data:`KEY_PATTERN` (8 to 64 characters from ``A-Z a-z 0-9 _ -``)
and raises :class:`~vigie.errors.ValidationFailed` otherwise, which rules out
path traversal (no ``/``, ``\\``, ``.`` or NUL can get through).

The content type and other facts about a photo belong to the database
(``report_photos``); a store only keeps bytes.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from vigie.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from vigie.objectstore import S3Location

__all__ = [
    "KEY_PATTERN",
    "LocalPhotoStore",
    "MemoryPhotoStore",
    "PhotoStore",
    "SignsUrls",
    "STORE_KINDS",
    "make_photo_store",
    "new_photo_key",
]

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
"""Valid photo keys. ``fullmatch`` is used, so a trailing newline is refused too."""

STORE_KINDS = ("local", "s3", "memory")

# Content type -> file extension used by LocalPhotoStore.
_EXTENSIONS = {"image/jpeg": ".jpg", "image/webp": ".webp"}


@runtime_checkable
class PhotoStore(Protocol):
    """Storage for photo bytes, addressed by key.

    Implementations must be safe to call from several threads.
    """

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing any previous value atomically."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; raise ``NotFound`` if there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether something is stored under ``key``."""
        ...


@runtime_checkable
class SignsUrls(Protocol):
    """A store that can let people fetch a photo from it directly, for a short while."""

    def signed_url(self, key: str, ttl_seconds: int) -> str: ...


def new_photo_key() -> str:
    """A fresh random key: 32 lowercase hex characters (128 bits).

    Lowercase keeps keys distinct on case-insensitive file systems.
    """
    return secrets.token_hex(16)


def validate_key(key: str) -> str:
    """Return ``key`` if it matches :data:`KEY_PATTERN`, else raise ``ValidationFailed``."""
    if not isinstance(key, str) or KEY_PATTERN.fullmatch(key) is None:
        raise ValidationFailed(
            "Invalid photo key: use 8 to 64 characters among letters, digits, '_' and '-'.",
            field="photo",
        )
    return key


def _not_found(key: str) -> NotFound:
    return NotFound(f"No photo is stored under key '{key}'.", field="photo")


def _extension(content_type: str) -> str:
    try:
        return _EXTENSIONS[content_type]
    except KeyError:
        raise ValueError(
            f"Unsupported photo content type {content_type!r}; expected one of: {', '.join(_EXTENSIONS)}."
        ) from None


class LocalPhotoStore:
    """Photos as files under ``root``, sharded by the first two characters of the key.

    ``put("abcdef12", data, "image/jpeg")`` writes ``root/ab/abcdef12.jpg``. Writes
    are atomic: the bytes go to a temporary file in the same directory, are
    flushed to disk, then renamed over the final name with :func:`os.replace`, so
    a reader sees either the old file or the new one, never a partial file.
    Files are created with mode 0644 (photos are public once published).

    Note: on a case-insensitive file system, keys differing only by case would
    collide; :func:`new_photo_key` produces lowercase keys.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str, content_type: str = "image/jpeg") -> Path:
        """The file a photo with this key and content type is stored in."""
        validate_key(key)
        return self.root / key[:2] / f"{key}{_extension(content_type)}"

    def _candidates(self, key: str) -> list[Path]:
        validate_key(key)
        shard = self.root / key[:2]
        return [shard / f"{key}{ext}" for ext in _EXTENSIONS.values()]

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path_for(key, content_type)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(target.parent)
        # The same key stored earlier with another content type: remove the stale copy.
        for other in self._candidates(key):
            if other != target:
                with contextlib.suppress(FileNotFoundError):
                    other.unlink()

    def get(self, key: str) -> bytes:
        for path in self._candidates(key):
            try:
                return path.read_bytes()
            except FileNotFoundError:
                continue
        raise _not_found(key)

    def delete(self, key: str) -> None:
        for path in self._candidates(key):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def exists(self, key: str) -> bool:
        return any(path.is_file() for path in self._candidates(key))

    def __repr__(self) -> str:
        return f"LocalPhotoStore({str(self.root)!r})"


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; best effort (not supported on every platform)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


class MemoryPhotoStore:
    """Photos in a dict, for tests; validates keys exactly like :class:`LocalPhotoStore`."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        validate_key(key)
        _extension(content_type)
        with self._lock:
            self._items[key] = (bytes(data), content_type)

    def get(self, key: str) -> bytes:
        validate_key(key)
        with self._lock:
            item = self._items.get(key)
        if item is None:
            raise _not_found(key)
        return item[0]

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._items.pop(key, None)

    def exists(self, key: str) -> bool:
        validate_key(key)
        with self._lock:
            return key in self._items

    def content_type(self, key: str) -> str:
        """The content type given to :meth:`put` (handy in tests)."""
        validate_key(key)
        with self._lock:
            item = self._items.get(key)
        if item is None:
            raise _not_found(key)
        return item[1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def make_photo_store(kind: str, data_dir: Path, s3: S3Location | None = None) -> PhotoStore:
    """The store selected by the ``photo_storage`` setting.

    ``"local"`` -> :class:`LocalPhotoStore` under ``data_dir / "photos"``;
    ``"s3"`` -> :class:`~vigie.photos.s3.S3PhotoStore` at ``s3`` (the ``s3_…`` settings);
    ``"memory"`` -> :class:`MemoryPhotoStore`. Anything else is a ``ValueError``.
    """
    normalized = kind.strip().lower()
    if normalized == "local":
        return LocalPhotoStore(Path(data_dir) / "photos")
    if normalized == "s3":
        if s3 is None or not s3.bucket:
            raise ValueError("VIGIE_PHOTO_STORAGE=s3 needs VIGIE_S3_BUCKET.")
        from vigie.photos.s3 import S3PhotoStore  # boto3 is loaded only when S3 is chosen

        return S3PhotoStore(s3)
    if normalized == "memory":
        return MemoryPhotoStore()
    raise ValueError(f"Unknown photo storage {kind!r}; valid kinds are: {', '.join(STORE_KINDS)}.")
