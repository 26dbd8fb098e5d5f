"""Jobs a seed's own BullMQ producer adds to its own queue names: their data becomes a task's params."""

from __future__ import annotations

from typing import Any

from mediamill.errors import BadInput
from mediamill.settings import SeedQueue


def seed_envelope(seed_name: str, seed: SeedQueue, job_name: str, raw: Any) -> dict:
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
    return {"task": task, "params": raw}
