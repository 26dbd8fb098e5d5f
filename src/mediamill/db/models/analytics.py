"""Analytics tables: raw events (written in batches, kept a year) and daily rollups (kept)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit one.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class EventType(StrEnum):
    ASSET_VIEW = "ASSET_VIEW"          # an asset was looked at
    ASSET_DOWNLOAD = "ASSET_DOWNLOAD"  # an asset's bytes were fetched (mediamill's signed links can emit it)
    ASSET_SHARE = "ASSET_SHARE"        # an asset was shared (a share link made or opened)
    SEARCH = "SEARCH"                  # a search ran; data.query holds what was asked
    ACTIVITY = "ACTIVITY"              # anything else worth counting


class AnalyticsEvent(Base):
    """One raw event, as the producer sent it; written a batch (one job) at a time."""

    __tablename__ = "analytics_events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    batch: Mapped[str] = mapped_column(String(64), comment="the job that wrote it: a retried job writes nothing twice")
    type: Mapped[str] = mapped_column(String(32))
    asset_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(128))
    data: Mapped[dict] = mapped_column(PortableJSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_analytics_events_batch", "batch"),
                      Index("ix_analytics_events_occurred_at", "occurred_at"),
                      Index("ix_analytics_events_type_occurred_at", "type", "occurred_at"))


class AnalyticsDaily(Base):
    """One counter per (UTC day, type, asset, user); '' stands for "none" so the key stays unique."""

    __tablename__ = "analytics_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_analytics_daily_type_day", "type", "day"),)
