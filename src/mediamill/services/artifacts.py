"""Artifact use cases: store an upload (streamed, size-limited, MIME by content), describe, open for
download, delete with everything derived from it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from mediamill.db.models.artifacts import ArtifactRecord
from mediamill.db.repositories import artifacts as artifact_records
from mediamill.db.repositories import jobs as job_records
from mediamill.errors import LimitExceeded, NotFound
from mediamill.processors.maintenance.expired import Tally
from mediamill.processors.maintenance.removal import remove_artifacts
from mediamill.services.context import Services
from mediamill.signing import download_link, verify_download
from mediamill.storage.artifact import Artifact, is_artifact_id, utcnow


def store_upload(services: Services, source: Path | BinaryIO | bytes, name: str | None,
                 ttl_hours: float | None = None) -> Artifact:
    """The one way in for an upload (HTTP, pipeline runs, the Python client): store the bytes (a
    staged file, a stream or bytes), record the artifact row, return the artifact (sync).

    Every upload is its own artifact (own id, name, expiry, record), even when its bytes equal an
    earlier upload's: the store shares the blob between them, never the identity."""
    expires_at = utcnow() + timedelta(hours=ttl_hours) if ttl_hours else None
    artifact = services.store.put(source, name=name, key=f"upload/{secrets.token_hex(16)}", expires_at=expires_at,
                                  max_bytes=services.settings.limits.max_upload_bytes)
    with services.database.session() as session:
        artifact_records.record(session, [artifact])
    return artifact


DIRECT_UPLOAD_TTL_S = 3600


def start_direct_upload(services: Services) -> dict:
    """A new upload id and where the client sends the bytes itself (presigned S3 POST and PUT) (sync)."""
    upload_id = f"upl_{secrets.token_hex(16)}"
    limit = services.settings.limits.max_upload_bytes
    links = services.store.presign_upload(upload_id, max_bytes=limit, expires_in_s=DIRECT_UPLOAD_TTL_S)
    return {"upload": upload_id, "max_bytes": limit, "expires_at": utcnow() + timedelta(seconds=DIRECT_UPLOAD_TTL_S),
            **links}


def confirm_direct_upload(services: Services, upload_id: str, name: str | None,
                          ttl_hours: float | None = None) -> Artifact:
    """Turn the bytes a client sent to S3 under `upload_id` into an artifact, as an upload (sync).

    The bytes are read back once from S3 (hashed, sniffed, held to the upload limit) and stored
    like any upload; the upload object is then deleted, so a second confirm is NotFound."""
    size, reader = services.store.open_upload(upload_id)
    limit = services.settings.limits.max_upload_bytes
    if size > limit:
        reader.close()
        services.store.drop_upload(upload_id)
        raise LimitExceeded(f"the upload is {size} bytes, over the limit of {limit} bytes", field="upload")
    with reader:
        artifact = store_upload(services, reader, name, ttl_hours)
    services.store.drop_upload(upload_id)
    return artifact


def delete_artifact(services: Services, artifact_id: str, *, dry_run: bool = False) -> dict:
    """Delete an artifact and everything derived from it (thumbnails, variants, their own derivatives),
    through the recorded lineage (`source`); with dry_run, only say what would go (sync)."""
    if not is_artifact_id(artifact_id):
        raise NotFound(f"no artifact {artifact_id[:80]!r} (artifact ids look like art_...)", field="artifact")
    with services.database.session() as session:
        if artifact_records.get(session, artifact_id) is None and not services.store.exists(artifact_id):
            raise NotFound(f"no artifact {artifact_id!r}", field="artifact")
        derived = artifact_records.derived_from(session, artifact_id)
        family = [artifact_id, *derived]
        tally = Tally()
        if dry_run:
            sizes = session.execute(select(ArtifactRecord.size).where(ArtifactRecord.id.in_(family))).scalars()
            tally.bytes = sum(sizes)
        else:
            # Derivatives first: a crash half way leaves the original, which a retry deletes again.
            remove_artifacts(services.store, session, list(reversed(family)), tally, reason="artifact deleted")
    return {"artifact": artifact_id, "derived": derived, "deleted": [] if dry_run else family,
            "bytes": tally.bytes, "links_deactivated": tally.links, "dry_run": dry_run}


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


def open_download(services: Services, artifact_id: str, exp: int | None, sig: str | None,
                  disposition: Callable[[Artifact], str] | None = None) -> tuple[Artifact, BinaryIO | str]:
    """Check the signed link (403 if bad), then open the bytes (sync; the caller closes the reader).

    Given the edge's `disposition` (Content-Disposition of an artifact), `storage_redirect_downloads`
    on and a store that can serve the bytes itself (S3), the second item is instead a presigned URL
    living as long as the signed link: the bytes skip the API.
    """
    verify_download(services.settings, artifact_id, exp, sig)
    artifact = get_artifact(services, artifact_id)
    if disposition is not None and services.settings.storage_redirect_downloads:
        url = services.store.direct_url(artifact, expires_in_s=int(exp - time.time()), disposition=disposition(artifact))
        if url:
            return artifact, url
    return artifact, services.store.open(artifact_id)


def list_artifacts(services: Services, *, limit: int = 50, offset: int = 0, kind: str | None = None,
                   job_ids: list[str] | None = None) -> list[Artifact]:
    """Recorded artifacts, newest first; `kind` is a MIME prefix such as "video/" (sync)."""
    with services.database.session() as session:
        records = artifact_records.list_recent(session, limit=limit, offset=offset, mime_prefix=kind,
                                               job_ids=job_ids)
        return [artifact_records.to_artifact(record) for record in records]


def artifacts_of_job(services: Services, job_id: str) -> list[Artifact]:
    with services.database.session() as session:
        return [artifact_records.to_artifact(record) for record in artifact_records.for_job(session, job_id)]


def read_head(services: Services, artifact_id: str, limit: int = 65536) -> bytes:
    """The first `limit` bytes of an artifact (text previews) (sync)."""
    with services.store.open(artifact_id) as reader:
        return reader.read(limit)


def siblings(services: Services, artifact: Artifact) -> list[Artifact]:
    """Other artifacts of the same pipeline run (or, outside a run, of the same job): a video's captions."""
    if not artifact.job:
        return []
    with services.database.session() as session:
        record = job_records.get(session, artifact.job)
        job_ids = [artifact.job]
        if record is not None and record.run:
            job_ids = [row.id for row in job_records.search(session, run=record.run, limit=500)]
        records = artifact_records.list_recent(session, limit=200, job_ids=job_ids)
        return [artifact_records.to_artifact(r) for r in records if r.id != artifact.id]
