"""Jobs a seed's own BullMQ producer adds to its own queue names: their data becomes a task's params."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mediamill.errors import BadInput
from mediamill.settings import SeedQueue
from mediamill.storage.artifact import artifact_id_for_key, is_artifact_id

# The job name BullMQ's Queue.add gives a job when the producer names none.
BULLMQ_DEFAULT_NAME = "__default__"


def seed_envelope(seed_name: str, seed: SeedQueue, job_name: str, raw: Any,
                  exists: Callable[[str], bool] = lambda _: True) -> dict:
    """`{"task": ..., "params": <the seed's job data as written>}` for the runner.

    Data already in mediamill's wire form (it has a "task") passes through unchanged.
    """
    if isinstance(raw, dict) and "task" in raw and "params" in raw:
        return raw
    task = seed.tasks.get(job_name) or seed.task
    if task is None:
        known = ", ".join(sorted(seed.tasks)) or "none"
        raise BadInput(f"queue {seed_name!r}: no task for job name {job_name!r} (known job names: {known})",
                       field="name")
    if not isinstance(raw, dict):
        raise BadInput(f"queue {seed_name!r}: job data must be a JSON object, got {type(raw).__name__}")
    fields = seed.input_fields
    params = {k: v for k, v in raw.items() if k not in seed.keep_fields and k not in fields and k != seed.params_field}
    if seed.params_field is not None:
        nested = raw.get(seed.params_field, {})
        if not isinstance(nested, dict):
            raise BadInput(f"{seed.params_field}: must be an object, got {type(nested).__name__}",
                           field=seed.params_field)
        inner = {f.partition(".")[2] for f in fields if f.startswith(seed.params_field + ".")}
        params.update({k: v for k, v in nested.items() if k not in inner})
    envelope: dict = {"task": task, "params": params, "seed": {k: raw[k] for k in seed.keep_fields if k in raw}}
    inputs = [{"artifact": _artifact(field, key, exists)} for field in fields for key in _keys(raw, field)]
    if inputs:
        envelope["inputs"] = inputs
    return envelope


def _keys(raw: dict, field: str) -> list[str]:
    """The storage keys at `field` (`config.audio` reaches into an object): one key or a list of them."""
    value: Any = raw
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    keys = value if isinstance(value, list) else [value]
    if not keys or not all(isinstance(key, str) and key for key in keys):
        raise BadInput(f"{field}: Field required (the key of the stored file)", field=field)
    return keys


def _artifact(field: str, key: str, exists: Callable[[str], bool]) -> str:
    # A key put through mediamill's storage (put(key=...)) has a deterministic artifact id.
    artifact = key if is_artifact_id(key) else artifact_id_for_key(key)
    if not exists(artifact):
        raise BadInput(f"{field}: no stored file has the key {key!r}", field=field)
    return artifact
