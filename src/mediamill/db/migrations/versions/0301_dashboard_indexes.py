"""Dashboard indexes: the newest jobs first (jobs page), finished jobs by time (throughput), newest artifacts.

Measured with 100,000 job records (bench/dashboard.py): without ix_jobs_created_at the unfiltered
jobs page sorts the whole table on every view.

Revision ID: 0301
Revises: 0202
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0301"
down_revision = "0202"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_created_at", "jobs", ["created_at", "id"])
    op.create_index("ix_jobs_finished_at", "jobs", ["finished_at"])
    op.create_index("ix_artifacts_created_at", "artifacts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_artifacts_created_at", table_name="artifacts")
    op.drop_index("ix_jobs_finished_at", table_name="jobs")
    op.drop_index("ix_jobs_created_at", table_name="jobs")
