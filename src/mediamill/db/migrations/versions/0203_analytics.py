"""Analytics: analytics_events (raw, batched) and analytics_daily (rollups per day, type, asset, user).

Revision ID: 0203
Revises: 0301
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0203"
down_revision = "0301"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", EVENT_ID, autoincrement=True, nullable=False),
        sa.Column("batch", sa.String(64), nullable=False,
                  comment="the job that wrote it: a retried job writes nothing twice"),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("asset_id", sa.String(128), nullable=True),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
    )
    op.create_index("ix_analytics_events_batch", "analytics_events", ["batch"])
    op.create_index("ix_analytics_events_occurred_at", "analytics_events", ["occurred_at"])
    op.create_index("ix_analytics_events_type_occurred_at", "analytics_events", ["type", "occurred_at"])
    op.create_table(
        "analytics_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("asset_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "type", "asset_id", "user_id", name=op.f("pk_analytics_daily")),
    )
    op.create_index("ix_analytics_daily_type_day", "analytics_daily", ["type", "day"])


def downgrade() -> None:
    op.drop_index("ix_analytics_daily_type_day", table_name="analytics_daily")
    op.drop_table("analytics_daily")
    op.drop_index("ix_analytics_events_type_occurred_at", table_name="analytics_events")
    op.drop_index("ix_analytics_events_occurred_at", table_name="analytics_events")
    op.drop_index("ix_analytics_events_batch", table_name="analytics_events")
    op.drop_table("analytics_events")
