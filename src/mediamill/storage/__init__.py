"""Artifact storage: where bytes live (a local directory by default, S3 by URL)."""

from __future__ import annotations

from functools import lru_cache

from mediamill.errors import ConfigError
from mediamill.settings import Settings
from mediamill.storage.artifact import Artifact
from mediamill.storage.base import ArtifactStore
from mediamill.storage.local import LocalStore

__all__ = ["Artifact", "ArtifactStore", "LocalStore", "open_store"]


def open_store(settings: Settings) -> ArtifactStore:
    return _open_store(settings.storage_url, str(settings.resolved_data_dir), settings.storage_endpoint_url)


@lru_cache(maxsize=8)
def _open_store(url: str | None, data_dir: str, endpoint: str | None) -> ArtifactStore:
    from pathlib import Path

    if not url:
        return LocalStore(Path(data_dir) / "artifacts")
    if url.startswith("file://"):
        return LocalStore(Path(url.removeprefix("file://")))
    if url.startswith("s3://"):
        try:  # boto3 takes ~0.5 s to import: only S3 users pay for it
            from mediamill.storage.s3 import S3Store
        except ImportError as exc:
            raise ConfigError(f"S3 storage is not available: {exc}") from exc
        return S3Store.from_url(url, endpoint_url=endpoint, tmp_root=Path(data_dir) / "tmp")
    raise ConfigError(f"MEDIAMILL_STORAGE_URL must start with file:// or s3://, got {url!r}")
