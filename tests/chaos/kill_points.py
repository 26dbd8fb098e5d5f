"""Loaded by the workers of test_kill_at_completion (MEDIAMILL_TASK_MODULES): a worker that kills
itself at an exact point of a job's completion, the first time that job completes.

`kill_at` = "before_ack": after the attempt's hooks recorded the completion in the database and
before BullMQ's moveToFinished is sent (the job is still active in Redis); "after_ack": right after
Redis answered it. The marker file next to the log says the kill happened and, for "before_ack",
holds the finished_at the first completion recorded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mediamill.engine.bull_worker import BullWorker
from mediamill.settings import Settings
from mediamill.tasks import TaskContext, task

KILL_POINTS = ("before_ack", "after_ack")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    log: str = Field(description="file that gets one line per run of the task")
    kill_at: str = Field(description="before_ack or after_ack")


@task("enginetest.kill_at_completion", queue="enginetest", isolation="thread")
def kill_at_completion(ctx: TaskContext, params: Params) -> dict:
    """Does nothing but note that it ran to its end; its worker dies at `kill_at` (see the module)."""
    with open(params.log, "a") as handle:
        handle.write(f"done {ctx.job.job_id} {os.getpid()}\n")
    return {"pid": os.getpid()}


def marker(log: str, job_id: str) -> Path:
    return Path(f"{log}.{job_id}.killed")


def _recorded_finish(job_id: str) -> str | None:
    from mediamill.db import open_database
    from mediamill.db.repositories import jobs

    with open_database(Settings()).session() as session:
        record = jobs.get(session, job_id)
        return str(record.finished_at) if record is not None and record.state == "completed" else None


async def _until_recorded(job_id: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        finished = await asyncio.to_thread(_recorded_finish, job_id)
        if finished:
            return finished
        await asyncio.sleep(0.05)
    raise TimeoutError(f"job {job_id}'s completion never reached the records")


_move_to_completed = BullWorker._move_to_completed


async def _killing_move_to_completed(self, job, result, token, fetch_next):
    params = (job.data or {}).get("params") or {} if isinstance(job.data, dict) else {}
    point = params.get("kill_at")
    if point not in KILL_POINTS or marker(params["log"], job.id).exists():
        return await _move_to_completed(self, job, result, token, fetch_next)
    # The record is written before the acknowledgement in both cases (the writer batches it).
    finished = await _until_recorded(job.id)
    if point == "after_ack":
        await _move_to_completed(self, job, result, token, fetch_next)
    marker(params["log"], job.id).write_text(finished)
    os.kill(os.getpid(), signal.SIGKILL)


BullWorker._move_to_completed = _killing_move_to_completed
