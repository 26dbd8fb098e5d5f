"""Artifact records: mirror what the store holds, so listings and the TTL cleanup need no store scan."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediamill.db.models.artifacts import ArtifactRecord
from mediamill.db.upsert import upsert
from mediamill.storage.artifact import Artifact


def row_for(artifact: Artifact) -> dict:
    return {"id": artifact.id, "sha256": artifact.sha256, "size": artifact.size, "mime": artifact.mime,
            "name": artifact.name, "metadata": artifact.metadata, "job": artifact.job, "source": artifact.source,
            "created_at": artifact.created_at, "expires_at": artifact.expires_at}


def record(session: Session, artifacts: list[Artifact]) -> None:
    """Insert or refresh records (a retried job overwrites its deterministic artifact ids)."""
    upsert(session, ArtifactRecord.__table__, [row_for(a) for a in artifacts])


def get(session: Session, artifact_id: str) -> ArtifactRecord | None:
    return session.get(ArtifactRecord, artifact_id)


def to_artifact(record: ArtifactRecord) -> Artifact:
    return Artifact(id=record.id, sha256=record.sha256, size=record.size, mime=record.mime, name=record.name,
                    metadata=record.meta or {}, created_at=record.created_at, expires_at=record.expires_at,
                    source=record.source, job=record.job)


def expired(session: Session, now: datetime, limit: int = 500) -> list[ArtifactRecord]:
    query = (select(ArtifactRecord).where(ArtifactRecord.expires_at.is_not(None), ArtifactRecord.expires_at <= now)
             .order_by(ArtifactRecord.expires_at).limit(limit))
    return list(session.scalars(query))


def for_job(session: Session, job_id: str) -> list[ArtifactRecord]:
    return list(session.scalars(select(ArtifactRecord).where(ArtifactRecord.job == job_id)))


def remove(session: Session, artifact_ids: list[str]) -> None:
    if artifact_ids:
        session.execute(delete(ArtifactRecord).where(ArtifactRecord.id.in_(artifact_ids)))


def list_recent(session: Session, *, limit: int = 50, offset: int = 0, mime_prefix: str | None = None,
                job_ids: list[str] | None = None) -> list[ArtifactRecord]:
    """Newest first; `mime_prefix` narrows by kind ("video/"), `job_ids` to the outputs of those jobs."""
    query = select(ArtifactRecord)
    if mime_prefix:
        query = query.where(ArtifactRecord.mime.startswith(mime_prefix, autoescape=True))
    if job_ids is not None:
        query = query.where(ArtifactRecord.job.in_(job_ids))
    query = query.order_by(ArtifactRecord.created_at.desc(), ArtifactRecord.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def derived_from(session: Session, artifact_id: str, limit: int = 10_000) -> list[str]:
    """Every artifact derived from this one, through `source`, at any depth (a variant's thumbnail too),
    nearest first; at most `limit` ids (a cycle cannot loop: each id is taken once)."""
    found: list[str] = []
    seen = {artifact_id}
    frontier = [artifact_id]
    while frontier and len(found) < limit:
        children = [child for child in session.scalars(
            select(ArtifactRecord.id).where(ArtifactRecord.source.in_(frontier[:500]))) if child not in seen]
        frontier = frontier[500:] + children
        seen.update(children)
        found.extend(children)
    return found[:limit]


def orphaned(session: Session, limit: int, *, except_sources: Collection[str] = ()) -> list[ArtifactRecord]:
    """Derived artifacts whose source artifact has no record (deleted, or expired and purged; or never
    recorded: the caller checks the store), leaving out those derived from `except_sources`."""
    parent = ArtifactRecord.__table__.alias("parent")
    query = (select(ArtifactRecord)
             .outerjoin(parent, parent.c.id == ArtifactRecord.source)
             .where(ArtifactRecord.source.is_not(None), parent.c.id.is_(None)))
    if except_sources:
        query = query.where(ArtifactRecord.source.not_in(list(except_sources)))
    return list(session.scalars(query.order_by(ArtifactRecord.created_at, ArtifactRecord.id).limit(limit)))
