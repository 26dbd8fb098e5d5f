"""Pipeline tables: pipeline_runs, pipeline_run_steps, pipeline_definitions.

Revision ID: 0101
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0101"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("pipeline", sa.String(64), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("inputs", JSON, nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("outputs", JSON, nullable=True),
        sa.Column("error", JSON, nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_runs")),
    )
    op.create_index("ix_pipeline_runs_created_at", "pipeline_runs", ["created_at"])
    op.create_table(
        "pipeline_run_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("items_total", sa.Integer(), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", JSON, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_run_steps")),
        sa.UniqueConstraint("run", "step", "item", name=op.f("uq_pipeline_run_steps_run_step_item")),
    )
    op.create_index("ix_pipeline_run_steps_run", "pipeline_run_steps", ["run"])
    op.create_table(
        "pipeline_definitions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pipeline_definitions")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_definitions")
    op.drop_index("ix_pipeline_run_steps_run", table_name="pipeline_run_steps")
    op.drop_table("pipeline_run_steps")
    op.drop_index("ix_pipeline_runs_created_at", table_name="pipeline_runs")
    op.drop_table("pipeline_runs")
