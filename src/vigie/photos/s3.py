"""Photo bytes in an S3-compatible object store (AWS S3, MinIO, Garage, Ceph, Scaleway…).

Chosen with ``VIGIE_PHOTO_STORAGE=s3``: every node of a deployment then reads and
writes the same photos, which a local directory cannot give. Keys are validated
exactly like the local store's (no ``/``), then placed under a prefix, so the
application cannot address anything else in the bucket.

A ``PUT`` in S3 is atomic (a reader sees the old object or the new one), which is
the guarantee the local store gets from ``os.replace``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from vigie.errors import ServiceUnavailable
from vigie.objectstore import S3Location
from vigie.photos.storage import _extension, _not_found, validate_key

__all__ = ["S3PhotoStore"]

_MISSING = {"404", "NoSuchKey", "NotFound"}


def _unavailable(exc: Exception) -> ServiceUnavailable:
    # The reason goes to the logs through the exception chain; people get a plain message.
    return ServiceUnavailable("The photo storage cannot be reached; try again in a moment.")


class S3PhotoStore:
    """Photos as objects ``<prefix><key>`` in one bucket; safe from several threads."""

    def __init__(self, location: S3Location, client: Any | None = None) -> None:
        self.location = location
        self._client = client if client is not None else location.client()

    def _object(self, key: str) -> str:
        return f"{self.location.prefix}{validate_key(key)}"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        _extension(content_type)
        try:
            self._client.put_object(
                Bucket=self.location.bucket,
                Key=self._object(key),
                Body=bytes(data),
                ContentType=content_type,
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from exc

    def get(self, key: str) -> bytes:
        name = self._object(key)
        try:
            answer = self._client.get_object(Bucket=self.location.bucket, Key=name)
            return bytes(answer["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise _not_found(key) from None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.location.bucket, Key=self._object(key))
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from exc

    def exists(self, key: str) -> bool:
        name = self._object(key)
        try:
            self._client.head_object(Bucket=self.location.bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return True

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        """A short-lived URL at which the object store itself serves the photo (no credentials)."""
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.location.bucket, "Key": self._object(key)},
                ExpiresIn=ttl_seconds,
            )
        )

    def check(self) -> None:
        """Raise ``ServiceUnavailable`` unless the bucket answers (readiness probe, start-up)."""
        try:
            self._client.head_bucket(Bucket=self.location.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from exc

    def __repr__(self) -> str:
        where = self.location.endpoint_url or "aws"
        return f"S3PhotoStore({where!r}, bucket={self.location.bucket!r})"
