"""Response bodies of the HTTP API (its OpenAPI schema); a job request is engine.wire.JobRequest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class JobLinks(BaseModel):
    self: str
    events: str


class JobAccepted(BaseModel):
    id: str
    jobId: str = Field(description="the id again: the `{jobId, status: 'queued'}` answer seed apps return")  # noqa: N815
    status: str = Field(description="always 'queued' on submission")
    links: JobLinks


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    message: str
    retryable: bool = True


class JobView(BaseModel):
    id: str
    task: str
    queue: str
    status: str = Field(description="queued, delayed, active, completed, failed, cancelled")
    progress: float
    step: str | None = Field(None, description="the step the processor reported last")
    attempts: int
    max_attempts: int
    params: dict[str, Any]
    inputs: list[Any]
    notify_url: str | None = None
    result: Any = Field(None, description="artifact references carry `url` (signed) and `urlExpiresAt`")
    error: ErrorInfo | None = None
    run: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    links: JobLinks


class JobList(BaseModel):
    data: list[JobView]
    count: int


class DownloadLink(BaseModel):
    url: str
    expires_at: datetime


class ArtifactView(BaseModel):
    id: str
    name: str | None
    mime: str
    size: int
    sha256: str
    metadata: dict[str, Any]
    job: str | None
    source: str | None
    created_at: datetime
    expires_at: datetime | None
    download: DownloadLink


class TaskInfo(BaseModel):
    name: str
    queue: str
    description: str
    inputs: dict[str, int | None]
    accepts: list[str]
    params_schema: dict[str, Any]


class UnavailableTasks(BaseModel):
    module: str = Field(description="the task module (family) that failed to import")
    error: str = Field(description="why, e.g. the optional library it needs is not installed")


class QueueInfo(BaseModel):
    name: str
    paused: bool
    concurrency: int
    counts: dict[str, int]
    workers: int = Field(description="live worker processes serving this queue (heartbeats)")
    no_workers: bool = Field(description="jobs are waiting and no worker serves the queue")
    stalled: int = Field(0, description="jobs seen stalled (lock lost, put back) since the counts began")
    removed: int = Field(0, description="jobs seen removed since the counts began")


class WorkerRow(BaseModel):
    id: str
    host: str
    pid: int
    queues: list[str]
    started: float = Field(description="epoch seconds")
    beat: float = Field(description="epoch seconds of the last heartbeat")
    active: int = Field(description="jobs running at the last heartbeat")


class QueueState(BaseModel):
    name: str
    paused: bool


class Problem(BaseModel):
    """Every error answer: the error type, a message naming the problem, and the field when there is one."""

    error: str
    message: str
    field: str | None = None


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
