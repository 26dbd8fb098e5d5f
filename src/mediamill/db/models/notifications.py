"""The notifications table: in-app notifications per user (the seed's NotificationJob), read or unread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow


class Notification(Base):
    """An in-app notification for one user: type, title, message, data, whether it was read."""

    __tablename__ = "notifications"

    # An integer id: streams and pages follow it ("everything after id N"), which a random id cannot do.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True,
                                                 comment="the job id: a retried job creates one notification")
    user_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(PortableJSON, default=dict)
    project_id: Mapped[str | None] = mapped_column(String(128))
    task_id: Mapped[str | None] = mapped_column(String(128))
    milestone_id: Mapped[str | None] = mapped_column(String(128))
    meeting_id: Mapped[str | None] = mapped_column(String(128))
    emailed: Mapped[str | None] = mapped_column(String(255), comment="Message-ID of the email sent for it")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notifications_user_id_id", "user_id", "id"),
                      Index("ix_notifications_created_at", "created_at"))
