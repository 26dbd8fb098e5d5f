"""The api_keys table: keys are stored only as a SHA-256 hash, found by their public prefix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow

SCOPES = ("submit", "read", "admin")


class ApiKey(Base):
    """An API key: its name, prefix, a SHA-256 of the token (never the token), scopes, last use, revocation."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(32), unique=True, comment="public part of the token, for lookup")
    hash: Mapped[str] = mapped_column(String(64), comment="sha256 hex of the whole token")
    scopes: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None
