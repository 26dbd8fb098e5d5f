"""The artifacts table: a record per stored artifact (bytes live in the store), for listings and TTL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow


class ArtifactRecord(Base):
    """One row per stored artifact: MIME type, size, sha256, name, metadata, the job and source it came from, its expiry."""

    __tablename__ = "artifacts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    # `metadata` is reserved on declarative classes; the column keeps the plain name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", PortableJSON, default=dict)
    job: Mapped[str | None] = mapped_column(String(64), comment="job that produced it")
    source: Mapped[str | None] = mapped_column(String(64), comment="artifact it was derived from")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_artifacts_expires_at", "expires_at"),
        Index("ix_artifacts_job", "job"),
        Index("ix_artifacts_sha256", "sha256"),
        Index("ix_artifacts_created_at", "created_at"),
        Index("ix_artifacts_source", "source"),  # lineage: what was derived from an artifact
    )
