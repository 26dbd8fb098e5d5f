"""Pipeline tables: runs, their steps (one row per step, plus one per foreach item) and user pipelines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow

RUN_STATES = ("queued", "running", "completed", "failed", "cancelled")
STEP_STATES = ("pending", "queued", "active", "completed", "failed", "skipped", "cancelled")
FINAL_STEP_STATES = ("completed", "failed", "skipped", "cancelled")


class PipelineRun(Base):
    """A pipeline run: the spec it ran, inputs, params, state, progress, outputs, error."""

    __tablename__ = "pipeline_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(PortableJSON, comment="the spec as it was when the run started")
    inputs: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    generation: Mapped[int] = mapped_column(Integer, default=0, comment="bumped by each rerun")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_pipeline_runs_created_at", "created_at"),)


class RunStep(Base):
    """One step (or fan-out item) of a run: task, state, the BullMQ job id, attempts, result, error."""

    __tablename__ = "pipeline_run_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    # -1 is the step itself; 0..n-1 are the items of a foreach step.
    item: Mapped[int] = mapped_column(Integer, default=-1)
    task: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    job_id: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    items_total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[Any | None] = mapped_column(PortableJSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("run", "step", "item"), Index("ix_pipeline_run_steps_run", "run"))


class PipelineDefinition(Base):
    """A user pipeline registered with `register-pipeline` / `POST /v1/pipelines`."""

    __tablename__ = "pipeline_definitions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    source: Mapped[str | None] = mapped_column(Text, comment="the YAML/JSON text as registered")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
