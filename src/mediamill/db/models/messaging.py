"""The email_messages table: one row per message `email.send` was asked for, keyed by its idempotency key."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow


class EmailStatus(StrEnum):
    sending = "sending"    # claimed; the transport call is under way, or the attempt died during it
    sent = "sent"          # the transport accepted the message: a retry returns this row, never resends
    deferred = "deferred"  # refused for now, before acceptance (4xx, connection failure): a retry sends
    failed = "failed"      # refused for good (bad input, 5xx): never sent, never retried


class EmailMessage(Base):
    """Every email `email.send` sent or tried, by idempotency key: recipients, subject, template, transport, outcome."""

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True,
                                                 comment="the job id unless the producer gave a key")
    job: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[list] = mapped_column(PortableJSON, comment="normalised To addresses")
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(100))
    transport: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(255), comment="the Message-ID header, the same on every attempt")
    provider_message_id: Mapped[str | None] = mapped_column(String(255), comment="SES MessageId or the SMTP reply")
    status: Mapped[str] = mapped_column(String(16), default=EmailStatus.sending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="transport calls made for this message")
    error: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(Integer, comment="bytes of the MIME message")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_email_messages_created_at", "created_at"),
                      Index("ix_email_messages_status", "status"))
