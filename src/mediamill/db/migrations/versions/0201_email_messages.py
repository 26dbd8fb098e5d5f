"""Messaging: the email_messages table (one row per message, unique idempotency key).

Revision ID: 0201
Revises: 0101
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0201"
down_revision = "0101"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False,
                  comment="the job id unless the producer gave a key"),
        sa.Column("job", sa.String(64), nullable=True),
        sa.Column("recipients", JSON, nullable=False, comment="normalised To addresses"),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("template", sa.String(100), nullable=True),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False,
                  comment="the Message-ID header, the same on every attempt"),
        sa.Column("provider_message_id", sa.String(255), nullable=True, comment="SES MessageId or the SMTP reply"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="transport calls made for this message"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True, comment="bytes of the MIME message"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_email_messages_idempotency_key")),
    )
    op.create_index("ix_email_messages_created_at", "email_messages", ["created_at"])
    op.create_index("ix_email_messages_status", "email_messages", ["status"])


def downgrade() -> None:
    op.drop_index("ix_email_messages_status", table_name="email_messages")
    op.drop_index("ix_email_messages_created_at", table_name="email_messages")
    op.drop_table("email_messages")
