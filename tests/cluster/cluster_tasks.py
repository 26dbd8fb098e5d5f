"""The multi-host test's own task (loaded by its workers through MEDIAMILL_TASK_MODULES=cluster_tasks).

`clustertest.slow` works for a while, then stores a small file naming the host that made it. Its
progress step names the host too, so the test sees through the API which host runs the job.
"""

from __future__ import annotations

import os
import time

from pydantic import BaseModel, ConfigDict, Field

from mediamill.tasks import TaskContext, task

QUEUE = "clustertest"
HOST_ENV = "MM_CLUSTER_HOST"  # set by the test for each worker host


class SlowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0, le=300, description="how long the job works")


@task("clustertest.slow", queue=QUEUE)
def slow(ctx: TaskContext, params: SlowParams) -> dict:
    """Works `seconds` in small steps, then stores `made-by.txt` with the host's name."""
    host = os.environ.get(HOST_ENV, "unknown")
    ctx.progress(1, step=f"on {host}")
    end = time.monotonic() + params.seconds
    while time.monotonic() < end:
        ctx.check()
        time.sleep(0.05)
    made = ctx.put(f"made by {host}\n".encode(), name="made-by.txt", mime="text/plain")
    return {"host": host, "file": made.ref()}
