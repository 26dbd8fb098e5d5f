"""The pipeline spec (YAML or JSON, one schema): inputs, params, steps, outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mediamill.errors import BadInput, describe_validation_error

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
STEP_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class InputDecl(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["file", "text", "url", "list"] = Field(description="file: an upload or artifact id; list: several")
    required: bool = True
    description: str = ""
    default: Any = None


class StepDecl(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str = Field(description="a registered task, e.g. asset.thumbnail")
    params: dict[str, Any] = Field(default_factory=dict, description="may contain ${...} references")
    use: list[str] = Field(default_factory=list, description="references whose artifacts become the job's inputs")
    foreach: str | None = Field(None, description="a reference to a list: one job per item (fan-out)")
    when: str | None = Field(None, description="run only if this condition holds")
    after: list[str] = Field(default_factory=list, description="steps to wait for without using their data")
    description: str = ""

    @field_validator("use", "after", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class PipelineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    aliases: list[str] = Field(default_factory=list, description="other names it answers to (a seed's own names)")
    inputs: dict[str, InputDecl] = Field(default_factory=dict)
    params: dict[str, dict[str, Any]] = Field(default_factory=dict, description="JSON schema per param")
    steps: dict[str, StepDecl] = Field(min_length=1)
    outputs: dict[str, str] = Field(default_factory=dict, description="name -> ${reference}")
    failure_policy: Literal["fail-fast", "continue"] = "fail-fast"

    @field_validator("steps")
    @classmethod
    def _step_names(cls, steps: dict[str, StepDecl]) -> dict[str, StepDecl]:
        import re

        for name in steps:
            if not re.match(STEP_PATTERN, name):
                raise ValueError(f"step name {name!r} must be lowercase letters, digits and _ (max 63)")
        return steps

    def params_schema(self) -> dict:
        return {"type": "object", "properties": self.params, "additionalProperties": False,
                "required": [k for k, v in self.params.items() if "default" not in v]}


def parse_spec(source: str | bytes | dict | Path) -> PipelineSpec:
    """A spec from YAML/JSON text, a file or a dict; BadInput that names the problem otherwise."""
    data: Any = source
    if isinstance(source, Path):
        data = source.read_text()
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    if isinstance(data, str):
        try:
            data = json.loads(data) if data.lstrip().startswith("{") else yaml.safe_load(data)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise BadInput(f"the spec is not valid YAML/JSON: {exc}", field="spec") from None
    if not isinstance(data, dict):
        raise BadInput("a pipeline spec must be a mapping with name, steps, ...", field="spec")
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc, prefix="spec"), field="spec") from None
