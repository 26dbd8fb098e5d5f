"""The job on the wire: what a producer requests (JobRequest) and the plain JSON any BullMQ client
(Node too) can produce and read (JobData)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mediamill.errors import BadInput, describe_validation_error, first_invalid_field
from mediamill.storage.artifact import Artifact, is_artifact_id
from mediamill.storage.refs import InputRef, parse_input

# Inputs one job may name. A pipeline's fan-in gathers many files into one step; the HTTP body
# limit bounds what a request can carry anyway.
MAX_JOB_INPUTS = 1000


class JobRequest(BaseModel):
    """What a producer asks for, the same from HTTP, the CLI, the Python client and a pipeline step.

    Also the body of POST /v1/jobs (its OpenAPI schema). Inputs may be written as artifact ids or
    URLs; they are read by `parse_input` into InputRefs.
    """

    model_config = ConfigDict(extra="forbid")
    task: str = Field(min_length=1, max_length=128, description="task name, e.g. file.inspect (GET /v1/tasks)")
    params: dict[str, Any] = Field(default_factory=dict, description="the task's params (its JSON schema)")
    inputs: list[InputRef] = Field(default_factory=list, max_length=MAX_JOB_INPUTS)
    notify_url: str | None = Field(None, max_length=2048, description="POSTed a signed notification when done")
    priority: int | None = Field(None, ge=1, le=2_097_152, description="1 is the highest priority")

    @field_validator("inputs", mode="before")
    @classmethod
    def _read_inputs(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [parse_input(item) for item in value]
        return value

    @classmethod
    def parse(cls, raw: Any) -> JobRequest:
        """A JobRequest from a mapping (or itself); BadInput naming the first bad field."""
        if isinstance(raw, cls):
            return raw
        if not isinstance(raw, dict):
            raise BadInput(f"a job request must be a JSON object, got {type(raw).__name__}", field="body")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise BadInput(describe_validation_error(exc), field=first_invalid_field(exc)) from None


class PreparedJob(NamedTuple):
    """A checked request turned into what BullMQ is given (Broker.prepare)."""

    queue: str
    job_id: str
    data: dict
    options: dict

    @property
    def task(self) -> str:
        return self.data["task"]

    def record(self) -> dict:
        """The job's row at submit (state queued); the worker's records complete it."""
        return {"id": self.job_id, "queue": self.queue, "task": self.task, "state": "queued", "attempts": 0,
                "max_attempts": self.options["attempts"], "params": self.data.get("params") or {},
                "inputs": self.data.get("inputs") or [], "notify_url": self.data.get("notify_url"),
                "run": self.data.get("run"), "step": self.data.get("step"), "created_at": datetime.now(UTC)}


class JobData(BaseModel):
    """`{"task": ..., "params": {...}, "inputs": [...], "run": ..., "step": ...}`"""

    model_config = ConfigDict(extra="allow")
    task: str | None = None
    params: dict = Field(default_factory=dict)
    inputs: list[InputRef] = Field(default_factory=list)
    run: str | None = None
    step: str | None = None
    notify_url: str | None = None

    @classmethod
    def parse(cls, raw: Any, job_name: str) -> JobData:
        if not isinstance(raw, dict):
            raise BadInput(f"job data must be a JSON object, got {type(raw).__name__}")
        try:
            data = cls.model_validate(raw)
        except ValidationError as exc:
            raise BadInput(describe_validation_error(exc), field=first_invalid_field(exc)) from None
        if not data.task:
            data.task = job_name
        return data


def to_wire(value: Any) -> Any:
    """JSON-ready form of a processor's result: artifacts become references, models become dicts."""
    if isinstance(value, Artifact):
        return value.ref()
    if isinstance(value, BaseModel):
        return to_wire(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        raise TypeError("a processor must return artifacts (ctx.put), not local paths")
    return value


def artifact_refs(value: Any) -> list[dict]:
    """Every artifact reference inside a wire result (for links, TTL records and pipelines)."""
    found: list[dict] = []
    if isinstance(value, dict):
        if is_artifact_id(value.get("artifact")) and "sha256" in value:
            found.append(value)
        for child in value.values():
            found.extend(artifact_refs(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(artifact_refs(child))
    return found
