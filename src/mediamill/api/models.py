"""Request and response bodies of the HTTP API (they are also its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class InputItem(BaseModel):
    """One input: a stored artifact or a URL the safe fetcher downloads (public addresses only)."""

    model_config = ConfigDict(extra="forbid")
    artifact: str | None = Field(None, max_length=64, description="id of a stored artifact (art_...)")
    url: str | None = Field(None, max_length=2048, description="http(s) URL to fetch")
    name: str | None = Field(None, max_length=255, description="file name to give a fetched input")

    @model_validator(mode="after")
    def _exactly_one(self) -> InputItem:
        if bool(self.artifact) == bool(self.url):
            raise ValueError("an input needs exactly one of 'artifact' or 'url'")
        return self


class SubmitJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str = Field(min_length=1, max_length=128, description="task name, e.g. file.inspect (GET /v1/tasks)")
    params: dict[str, Any] = Field(default_factory=dict, description="the task's params (its JSON schema)")
    inputs: list[InputItem] = Field(default_factory=list, max_length=100)
    notify_url: str | None = Field(None, max_length=2048, description="POSTed a signed notification when done")
    priority: int | None = Field(None, ge=1, le=2_097_152, description="1 is the highest priority")


class JobLinks(BaseModel):
    self: str
    events: str


class JobAccepted(BaseModel):
    id: str
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
