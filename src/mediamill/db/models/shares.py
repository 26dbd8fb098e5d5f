"""The share_links table: a public link to one artifact, with an expiry, an optional password and download limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, UTCDateTime, utcnow


class ShareLink(Base):
    """One share link: the artifact, its token's hash (the token itself is shown once), limits and counts."""

    __tablename__ = "share_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    artifact_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 of the URL token")
    password_hash: Mapped[str | None] = mapped_column(String(255), comment="scrypt$salt$hash, unset = no password")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_downloads: Mapped[int | None] = mapped_column(Integer, comment="unset = unlimited")
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(64), comment="the API key that made it")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_download_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_reason: Mapped[str | None] = mapped_column(String(32), comment="revoked, expired, artifact deleted")

    __table_args__ = (Index("ix_share_links_artifact_id", "artifact_id"),
                      Index("ix_share_links_expires_at", "expires_at"))

    @property
    def active(self) -> bool:
        return self.deactivated_at is None
