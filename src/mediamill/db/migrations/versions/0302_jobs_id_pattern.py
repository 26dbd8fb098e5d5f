"""PostgreSQL: an index for job id prefix search (the dashboard's id filter, `id LIKE 'prefix%'`).

Under a collation other than C (C.UTF-8 included) PostgreSQL cannot use the primary key for a LIKE
prefix, so an id search scanned every record; a `text_pattern_ops` index compares bytewise and can.
SQLite needs none: there the prefix is a range on the primary key (db/repositories/jobs.py).

Revision ID: 0302
Revises: 0401
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0302"
down_revision = "0401"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_jobs_id_pattern", "jobs", ["id"], postgresql_ops={"id": "text_pattern_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_jobs_id_pattern", table_name="jobs")
