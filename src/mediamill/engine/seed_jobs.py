"""Jobs a seed's own BullMQ producer adds to its own queue names: their data becomes a task's params."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mediamill.errors import BadInput
from mediamill.settings import SeedQueue
from mediamill.storage.artifact import artifact_id_for_key, is_artifact_id


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
    params = {k: v for k, v in raw.items() if k not in seed.keep_fields and k != seed.input_field}
    envelope: dict = {"task": task, "params": params, "seed": {k: raw[k] for k in seed.keep_fields if k in raw}}
    if seed.input_field:
        key = raw.get(seed.input_field)
        if not isinstance(key, str) or not key:
            raise BadInput(f"{seed.input_field}: Field required (the key of the stored file)", field=seed.input_field)
        # A key put through mediamill's storage (put(key=...)) has a deterministic artifact id.
        artifact = key if is_artifact_id(key) else artifact_id_for_key(key)
        if not exists(artifact):
            raise BadInput(f"{seed.input_field}: no stored file has the key {key!r}", field=seed.input_field)
        envelope["inputs"] = [{"artifact": artifact}]
    return envelope
