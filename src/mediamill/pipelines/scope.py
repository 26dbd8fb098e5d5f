"""What a step's references can see, and how resolved `use` entries become job inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediamill.db.models.pipelines import PipelineRun
from mediamill.engine.wire import artifact_refs
from mediamill.errors import BadInput
from mediamill.storage.artifact import is_artifact_id


def build_scope(run: PipelineRun, steps: Mapping[str, Any], item: Any = None, index: int | None = None) -> dict:
    """`steps`: step name -> its row (a RunStep or a transitions.StepRow: `result` and `state` are read)."""
    scope: dict[str, Any] = {
        "params": run.params,
        "inputs": run.inputs,
        "steps": {name: {"result": row.result, "state": row.state} for name, row in steps.items()},
    }
    if index is not None:
        scope["item"], scope["index"] = item, index
    return scope


def inputs_from(values: list[Any], where: str) -> list[dict]:
    """Resolved `use` values -> job inputs: artifact references, artifact ids or URLs, in order."""
    inputs: list[dict] = []
    for value in values:
        if isinstance(value, list):
            inputs.extend(inputs_from(value, where))
        elif isinstance(value, dict) and is_artifact_id(value.get("artifact")):
            inputs.append({"artifact": value["artifact"]})
        elif isinstance(value, dict):
            found = artifact_refs(value)
            if not found:
                raise BadInput(f"{where}.use: the referenced result holds no files", field="use")
            inputs.extend({"artifact": ref["artifact"]} for ref in found)
        elif isinstance(value, str) and is_artifact_id(value):
            inputs.append({"artifact": value})
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            inputs.append({"url": value})
        elif value is None:
            continue
        else:
            raise BadInput(f"{where}.use: {value!r} is not a file, artifact or URL", field="use")
    return inputs
