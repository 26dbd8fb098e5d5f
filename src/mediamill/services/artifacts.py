"""Artifact use cases: store an upload (streamed, size-limited, MIME by content), describe, open for download."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from mediamill.db.repositories import artifacts as artifact_records
from mediamill.errors import NotFound
from mediamill.services.context import Services
from mediamill.signing import download_link, verify_download
from mediamill.storage.artifact import Artifact, is_artifact_id


def store_upload(services: Services, source: Path | BinaryIO, name: str | None) -> Artifact:
    """Store bytes already staged on disk (or a stream), record them, and return the artifact (sync)."""
    artifact = services.store.put(source, name=name, max_bytes=services.settings.limits.max_upload_bytes)
    with services.database.session() as session:
        artifact_records.record(session, [artifact])
    return artifact


def get_artifact(services: Services, artifact_id: str) -> Artifact:
    """The artifact's record from the store (sync); NotFound for unknown or expired ones."""
    if not is_artifact_id(artifact_id):
        raise NotFound(f"no artifact {artifact_id[:80]!r} (artifact ids look like art_...)", field="artifact")
    artifact = services.store.stat(artifact_id)
    if artifact.expired:
        raise NotFound(f"artifact {artifact_id} expired at {artifact.expires_at.isoformat()}", field="artifact")
    return artifact


def artifact_view(services: Services, artifact: Artifact) -> dict:
    url, until = download_link(services.settings, artifact.id, not_after=artifact.expires_at)
    return {
        "id": artifact.id, "name": artifact.name, "mime": artifact.mime, "size": artifact.size,
        "sha256": artifact.sha256, "metadata": artifact.metadata, "job": artifact.job, "source": artifact.source,
        "created_at": artifact.created_at, "expires_at": artifact.expires_at,
        "download": {"url": url, "expires_at": until},
    }


def open_download(services: Services, artifact_id: str, exp: int | None, sig: str | None) -> tuple[Artifact, BinaryIO]:
    """Check the signed link (403 if bad), then open the bytes (sync; the caller closes the reader)."""
    verify_download(services.settings, artifact_id, exp, sig)
    artifact = get_artifact(services, artifact_id)
    return artifact, services.store.open(artifact_id)
