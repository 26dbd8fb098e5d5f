"""Tasks that exist only for the engine tests (loaded via MEDIAMILL_TASK_MODULES=tasks_for_tests).

Each one appends a line per event to the file named by its `log` param, so a test can count how
often a job started and finished across processes (exactly-once checks) and when attempts ran.
"""

from __future__ import annotations

import builtins
import os
import time

from pydantic import BaseModel, ConfigDict, Field

from mediamill import errors
from mediamill.errors import BadInput
from mediamill.tasks import TaskContext, task

QUEUE = "enginetest"


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    log: str = Field(description="file that gets one line per event")
    seconds: float = Field(0.0, ge=0, description="how long the job works")
    succeed_on: int = Field(0, ge=0, description="flaky: the attempt that succeeds (0 = never)")
    release: str = Field("", description="work: a file whose existence ends the work early")


def note(params: Params, ctx: TaskContext, event: str) -> None:
    with open(params.log, "a") as handle:
        handle.write(f"{event} {ctx.job.job_id} {ctx.job.attempt} {os.getpid()} {time.time():.3f}\n")


def _work(ctx: TaskContext, params: Params) -> dict:
    note(params, ctx, "start")
    end = time.monotonic() + params.seconds
    while time.monotonic() < end and not (params.release and os.path.exists(params.release)):
        ctx.check()
        time.sleep(0.02)
    note(params, ctx, "done")
    return {"pid": os.getpid(), "attempt": ctx.job.attempt}


@task("enginetest.work", queue=QUEUE)
def work(ctx: TaskContext, params: Params) -> dict:
    """Sleeps in small steps (cooperative), in a child process."""
    return _work(ctx, params)


@task("enginetest.output", queue=QUEUE)
def output(ctx: TaskContext, params: Params) -> dict:
    """Works like enginetest.work, then stores a file naming its process; logs "put:<artifact id>".
    With `succeed_on`, earlier attempts fail (transient) after storing their file."""
    _work(ctx, params)
    made = ctx.put(f"made by {os.getpid()}\n".encode(), name="made-by.txt", mime="text/plain")
    note(params, ctx, f"put:{made.id}")
    if params.succeed_on and ctx.job.attempt < params.succeed_on:
        raise RuntimeError(f"transient trouble after storing, on attempt {ctx.job.attempt}")
    return {"pid": os.getpid(), "file": made.ref()}


@task("enginetest.work_thread", queue=QUEUE, isolation="thread")
def work_thread(ctx: TaskContext, params: Params) -> dict:
    """The same, in a thread of the worker process."""
    return _work(ctx, params)


@task("enginetest.spin", queue=QUEUE)
def spin(ctx: TaskContext, params: Params) -> dict:
    """Pure-Python CPU loop that holds the GIL of its process for `seconds`."""
    note(params, ctx, "start")
    end, loops, total = time.monotonic() + params.seconds, 0, 0
    while time.monotonic() < end:
        for i in range(20_000):
            total += i * i
        loops += 1
        ctx.check()
    note(params, ctx, "done")
    return {"loops": loops}


@task("enginetest.runaway", queue=QUEUE)
def runaway(ctx: TaskContext, params: Params) -> dict:
    """Ignores ctx.check(): only a kill stops it."""
    note(params, ctx, "start")
    while True:
        sum(range(10_000))


@task("enginetest.flaky", queue=QUEUE)
def flaky(ctx: TaskContext, params: Params) -> dict:
    """Fails with a transient error until attempt `succeed_on`."""
    note(params, ctx, "start")
    if params.succeed_on and ctx.job.attempt >= params.succeed_on:
        return {"attempt": ctx.job.attempt}
    raise RuntimeError(f"transient trouble on attempt {ctx.job.attempt}")


@task("enginetest.reject", queue=QUEUE)
def reject(ctx: TaskContext, params: Params) -> dict:
    """Always refuses its input."""
    note(params, ctx, "start")
    raise BadInput("the widget is upside down", field="params.widget")


@task("enginetest.noop", queue=QUEUE)
async def noop(ctx: TaskContext, params) -> dict:
    """Async, inline: no work at all."""
    return {"ok": True}


@task("enginetest.note", queue=QUEUE)
async def note_inline(ctx: TaskContext, params: Params) -> dict:
    """An inline (async) job that only writes its "done" line: exactly-once checks at full speed."""
    note(params, ctx, "done")
    return {"attempt": ctx.job.attempt}


@task("enginetest.context", queue=QUEUE)
async def context_inline(ctx: TaskContext, params) -> dict:
    """An inline job that reports what its context says: the worker's limits and its time budget."""
    return {"max_pixels": ctx.limits.max_pixels, "timeout_s": ctx.job.timeout_s, "queue": ctx.job.queue}


@task("enginetest.kill_worker", queue=QUEUE, isolation="thread")
def kill_worker(ctx: TaskContext, params: Params) -> dict:
    """A poison job: ends the worker process that runs it (a thread task, so the worker itself dies)."""
    note(params, ctx, "start")
    os._exit(70)


@task("enginetest.kill_child", queue=QUEUE)
def kill_child(ctx: TaskContext, params: Params) -> dict:
    """A poison job for its task process: the process dies under it (the worker lives)."""
    note(params, ctx, "start")
    os._exit(71)


@task("enginetest.hog", queue=QUEUE, memory_limit_mb=200)
def hog(ctx: TaskContext, params: Params) -> dict:
    """Allocates (and touches) memory until it is stopped: 50 MB a step, up to ~1.5 GB."""
    note(params, ctx, "start")
    blocks = []
    for _ in range(30):
        blocks.append(bytearray(50 * 2**20))
        time.sleep(0.05)
    note(params, ctx, "done")
    return {"mb": 50 * len(blocks)}


@task("enginetest.hog_thread", queue=QUEUE, isolation="thread")
def hog_thread(ctx: TaskContext, params: Params) -> dict:
    """The hog as a thread task: run only under a queue memory ceiling (which puts it in a task process)."""
    return hog(ctx, params)


@task("enginetest.runaway_thread", queue=QUEUE, isolation="thread")
def runaway_thread(ctx: TaskContext, params: Params) -> dict:
    """Ignores ctx.check() in a thread, which nothing can kill."""
    note(params, ctx, "start")
    while True:
        time.sleep(0.05)


class RaiseParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: str = Field(description="a class name from mediamill.errors, or a builtin exception's")
    message: str
    field: str | None = None


@task("enginetest.raise_error", queue=QUEUE)
def raise_error(ctx: TaskContext, params: RaiseParams) -> dict:
    """Raises the named error in its child process (the error round trip)."""
    cls = getattr(errors, params.error, None) or getattr(builtins, params.error)
    if issubclass(cls, errors.MediamillError):
        raise cls(params.message, field=params.field)
    raise cls(params.message)


class StepsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fail: bool = Field(False, description="fail in the second step")


@task("enginetest.steps", queue=QUEUE)
def steps(ctx: TaskContext, params: StepsParams) -> dict:
    """Two named steps in a child process (the tracing tests), failing in the second when asked."""
    ctx.progress(10, "fetch")
    time.sleep(0.05)
    ctx.progress(60, "render")
    time.sleep(0.05)
    if params.fail:
        raise ValueError("render broke on purpose")
    return {"steps": 2}
