"""The job data on the wire: plain JSON any BullMQ client (Node too) can produce and read."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mediamill.errors import BadInput
from mediamill.storage.artifact import Artifact, is_artifact_id


class InputRef(BaseModel):
    """One input: an artifact already stored, or a URL the safe fetcher will download."""

    model_config = ConfigDict(extra="ignore")
    artifact: str | None = None
    url: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> InputRef:
        if bool(self.artifact) == bool(self.url):
            raise ValueError("an input needs exactly one of 'artifact' or 'url'")
        if self.artifact and not is_artifact_id(self.artifact):
            raise ValueError(f"{self.artifact!r} is not an artifact id (art_...)")
        return self


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
            from mediamill.tasks.registry import describe_validation_error

            raise BadInput(describe_validation_error(exc)) from None
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
