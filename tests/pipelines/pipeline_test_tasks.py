"""Small real tasks for pipeline tests: echo with files, flaky, failing and slow steps."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from mediamill.errors import BadInput
from mediamill.tasks import TaskContext, task


class EchoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: object = None
    files: int = 0
    count_file: str | None = None


@task("test.echo", queue="analytics")
async def echo(ctx: TaskContext, params: EchoParams) -> dict:
    """Returns its value and input count; makes `files` small text artifacts; counts runs in count_file."""
    if params.count_file:
        with open(params.count_file, "a") as handle:
            handle.write(f"{ctx.job.step}\n")
    made = [ctx.put(f"item {i} of {ctx.job.job_id}".encode(), name=f"item{i}.txt") for i in range(params.files)]
    texts = [ctx.open(a).read().decode() for a in ctx.inputs]
    return {"value": params.value, "inputs": len(ctx.inputs), "texts": texts, "files": made,
            "numbers": list(range(params.files))}


class FlakyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counter: str
    fail_times: int = 2


@task("test.flaky", queue="analytics")
async def flaky(ctx: TaskContext, params: FlakyParams) -> dict:
    """Fails `fail_times` times (a transient error), then succeeds."""
    path = Path(params.counter)
    seen = int(path.read_text()) if path.exists() else 0
    path.write_text(str(seen + 1))
    if seen < params.fail_times:
        raise RuntimeError(f"transient failure {seen + 1}")
    return {"succeeded_after": seen + 1}


class FailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unless_file: str | None = None


@task("test.fail", queue="analytics", attempts=1)
async def fail(ctx: TaskContext, params: FailParams) -> dict:
    """Fails with BadInput unless `unless_file` exists."""
    if params.unless_file and Path(params.unless_file).exists():
        return {"ok": True}
    raise BadInput("this step fails on purpose")


class SleepParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = 1.0


@task("test.sleep", queue="analytics")
async def sleep(ctx: TaskContext, params: SleepParams) -> dict:
    """Sleeps, reporting progress; cancellable."""
    steps = 20
    for i in range(steps):
        ctx.progress(100 * i / steps, "sleeping")
        await asyncio.sleep(params.seconds / steps)
    return {"slept": params.seconds}
