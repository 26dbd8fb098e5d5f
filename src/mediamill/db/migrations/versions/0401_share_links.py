"""Asset lifecycle: the share_links table, and an index on artifacts.source (lineage: what was derived from what).

Revision ID: 0401
Revises: 0203
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0401"
down_revision = "0203"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("artifact_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, comment="sha256 of the URL token"),
        sa.Column("password_hash", sa.String(255), nullable=True, comment="scrypt$salt$hash, unset = no password"),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("max_downloads", sa.Integer(), nullable=True, comment="unset = unlimited"),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True, comment="the API key that made it"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_download_at", TS, nullable=True),
        sa.Column("deactivated_at", TS, nullable=True),
        sa.Column("deactivated_reason", sa.String(32), nullable=True, comment="revoked, expired, artifact deleted"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_links_token_hash")),
    )
    op.create_index("ix_share_links_artifact_id", "share_links", ["artifact_id"])
    op.create_index("ix_share_links_expires_at", "share_links", ["expires_at"])
    op.create_index("ix_artifacts_source", "artifacts", ["source"])


def downgrade() -> None:
    op.drop_index("ix_artifacts_source", table_name="artifacts")
    op.drop_index("ix_share_links_expires_at", table_name="share_links")
    op.drop_index("ix_share_links_artifact_id", table_name="share_links")
    op.drop_table("share_links")
