"""The jobs table: every job's last known state; the history that outlives BullMQ's retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediamill import constants as C
from mediamill.db.base import Base, PortableJSON, UTCDateTime, utcnow

# The public state vocabulary (what the API shows); "queued" is BullMQ's waiting/prioritized.
JOB_STATES = ("queued", "delayed", "waiting-children", "active", "completed", "failed", "cancelled", "unknown")
FINAL_STATES = C.FINAL_STATES  # re-exported: the records' name for it


class JobRecord(Base):
    """One row per job: task, queue, state, progress, attempts, params, inputs, result, error, times; outlives BullMQ's retention."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    task: Mapped[str] = mapped_column(String(128))
    run: Mapped[str | None] = mapped_column(String(64), comment="pipeline run this job belongs to")
    step: Mapped[str | None] = mapped_column(String(128), comment="pipeline step name")
    state: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    current_step: Mapped[str | None] = mapped_column(String(128), comment="step the processor reported last")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    params: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    inputs: Mapped[list[Any]] = mapped_column(PortableJSON, default=list)
    result: Mapped[Any | None] = mapped_column(PortableJSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    notify_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_jobs_state_created_at", "state", "created_at"),
        Index("ix_jobs_task_created_at", "task", "created_at"),
        Index("ix_jobs_run", "run"),
        Index("ix_jobs_created_at", "created_at", "id"),  # the jobs page: newest first
        Index("ix_jobs_finished_at", "finished_at"),  # throughput per minute
        # Job id prefix search on PostgreSQL (migration 0302); SQLite searches a range of the primary key.
        Index("ix_jobs_id_pattern", "id", postgresql_ops={"id": "text_pattern_ops"}).ddl_if(dialect="postgresql"),
    )
