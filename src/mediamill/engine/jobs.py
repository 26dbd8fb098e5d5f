"""Everything about "a job" as a client sees it: its status model and how to read it from BullMQ."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from mediamill import errors


class JobState(StrEnum):
    waiting = "waiting"              # queued, no worker has taken it yet
    delayed = "delayed"              # waiting for its start time or a retry backoff
    prioritized = "prioritized"      # queued with a priority
    waiting_children = "waiting-children"
    active = "active"                # a worker is running it
    completed = "completed"          # done; `result` holds its output
    failed = "failed"                # gave up after its last attempt (or at once on BadInput)
    cancelled = "cancelled"          # cancelled by a user; never ran to the end
    unknown = "unknown"              # BullMQ no longer has it (retention) and no record exists

    @property
    def finished(self) -> bool:
        return self in (JobState.completed, JobState.failed, JobState.cancelled)


class JobError(BaseModel):
    type: str
    message: str
    retryable: bool = True


class JobStatus(BaseModel):
    id: str
    queue: str
    task: str
    state: JobState
    progress: float = 0.0
    step: str | None = None
    attempts: int = 0
    max_attempts: int = 1
    params: dict = {}
    result: Any = None
    error: JobError | None = None
    run: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


def format_failure(error: BaseException) -> str:
    """BullMQ keeps one string per failure; "Type: message" lets clients get the type back."""
    kind = getattr(error, "kind", None) or type(error).__name__
    return f"{kind}: {error}"


# BullMQ's own words when a job was taken back from dead workers more than maxStalledCount times.
BULL_STALLED_TOO_OFTEN = "job stalled more than allowable limit"
WORKER_KILLER_MESSAGE = ("the job was running each time its worker process died, more often than the queue's "
                         "max_stalls allows: it looks like it kills its worker (segfault, os._exit, out of "
                         "memory); not retried")


def parse_failure(reason: str | None) -> JobError | None:
    if not reason:
        return None
    if reason == BULL_STALLED_TOO_OFTEN:
        return JobError(type="WorkerCrashed", message=WORKER_KILLER_MESSAGE, retryable=False)
    kind, sep, message = reason.partition(": ")
    if not sep or not kind.isidentifier():
        return JobError(type="Error", message=reason)
    cls = errors.error_class(kind)
    retryable = cls.retryable if cls is not None else True
    if message.startswith(WORKER_KILLER_MESSAGE):
        retryable = False  # a job that kills its workers is not retried (engine/attempts.py ChildDeaths)
    return JobError(type=kind, message=message, retryable=retryable)


def _ts(ms: Any) -> datetime | None:
    try:
        value = int(ms)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(value / 1000, UTC) if value > 0 else None


def status_from_bull(job: Any, queue: str, state: str, cancelled: bool) -> JobStatus:
    data = job.data if isinstance(job.data, dict) else {}
    progress = job.progress
    percent, step = 0.0, None
    if isinstance(progress, dict):
        percent, step = float(progress.get("percent") or 0), progress.get("step")
    elif isinstance(progress, int | float):
        percent = float(progress)
    try:
        job_state = JobState(state)
    except ValueError:
        job_state = JobState.unknown
    # A cancelled job that is still running stays "active" until the worker has stopped it:
    # waiting for "cancelled" then means the processor is really gone.
    if cancelled and job_state not in (JobState.completed, JobState.active):
        job_state = JobState.cancelled
    if job_state == JobState.completed:
        percent = 100.0
    return JobStatus(
        id=job.id, queue=queue, task=data.get("task") or job.name, state=job_state,
        progress=percent, step=step, attempts=int(job.attemptsMade or 0),
        max_attempts=int(job.opts.get("attempts") or 1), params=data.get("params") or {},
        result=job.returnvalue if job_state == JobState.completed else None,
        error=parse_failure(job.failedReason) if job_state in (JobState.failed, JobState.cancelled) else None,
        run=data.get("run"), created_at=_ts(job.timestamp), started_at=_ts(job.processedOn),
        finished_at=_ts(job.finishedOn),
    )
