"""An artifact: stored bytes with an id, a content hash, a MIME type, metadata and an optional expiry."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from mediamill.constants import ARTIFACT_ID_PREFIX


def utcnow() -> datetime:
    return datetime.now(UTC)


class Artifact(BaseModel):
    id: str
    sha256: str
    size: int
    mime: str
    name: str | None = None
    metadata: dict = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    source: str | None = Field(None, description="id of the artifact this one was derived from")
    job: str | None = Field(None, description="id of the job that produced it")

    def ref(self) -> dict:
        """What a job result or a job input carries: a reference, never the bytes."""
        ref = {"artifact": self.id, "mime": self.mime, "size": self.size, "sha256": self.sha256}
        if self.name:
            ref["name"] = self.name
        if self.source:  # lineage: the records (and a delete of the source) follow it
            ref["source"] = self.source
        if self.expires_at:
            ref["expiresAt"] = self.expires_at.isoformat().replace("+00:00", "Z")
        return ref

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


def artifact_id_for_key(key: str) -> str:
    """Deterministic id: whoever puts the same key again overwrites instead of duplicating."""
    return ARTIFACT_ID_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:24]


def is_artifact_id(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ARTIFACT_ID_PREFIX) and 8 < len(value) <= 64
