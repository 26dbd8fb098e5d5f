"""What a step's references can see, and how resolved `use` entries become job inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediamill.db.models.pipelines import PipelineRun
from mediamill.engine.wire import artifact_refs
from mediamill.errors import BadInput
from mediamill.storage.artifact import is_artifact_id
from mediamill.storage.refs import InputRef, parse_input


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


def inputs_from(values: list[Any], where: str) -> list[InputRef]:
    """Resolved `use` values -> job inputs, in order: artifact references (a whole step result gives
    every artifact in it), artifact ids or URLs (read by parse_input, the one reader)."""
    inputs: list[InputRef] = []
    for value in values:
        if value is None:
            continue
        if isinstance(value, list):
            inputs.extend(inputs_from(value, where))
        elif isinstance(value, dict) and is_artifact_id(value.get("artifact")):
            inputs.append(InputRef(artifact=value["artifact"]))  # a reference: its id is the input
        elif isinstance(value, dict) and "url" not in value:
            found = artifact_refs(value)
            if not found:
                raise BadInput(f"{where}.use: the referenced result holds no files", field="use")
            inputs.extend(InputRef(artifact=ref["artifact"]) for ref in found)
        else:
            inputs.append(parse_input(value, field=f"{where}.use"))
    return inputs
