"""Where Vigie's files go when they must be shared by several machines: an S3-compatible store.

One bucket, one prefix per city (``VIGIE_S3_PREFIX``) and one area below it per kind of
file (``photos/``, ``backups/``…). Photos use it through :mod:`vigie.photos.s3`, backups
through :mod:`vigie.backup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigie.settings import Settings

__all__ = ["S3Location", "s3_location"]


@dataclass(frozen=True)
class S3Location:
    """Where the objects live and how to reach them (from the ``s3_…`` settings)."""

    bucket: str
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    prefix: str = "photos/"

    def client(self) -> Any:
        """A boto3 client; empty credentials fall back to boto3's own chain (IAM role, env)."""
        import boto3  # loaded only when an object store is configured
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url or None,
            region_name=self.region,
            aws_access_key_id=self.access_key_id or None,
            aws_secret_access_key=self.secret_access_key or None,
            # Path-style addressing works with every S3-compatible server, virtual hosts do not.
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )


def s3_location(settings: Settings, area: str) -> S3Location:
    """Where objects of one area (``photos``, ``backups``…) go in the configured bucket."""
    return S3Location(
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        prefix=f"{settings.s3_prefix}{area}/",
    )
