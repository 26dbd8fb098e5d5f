"""Hooks around every job (dramatiq style): logging, records, webhooks and pipelines plug in here.

The worker's list of hooks is assembled by its entry point (`mediamill.serve.worker_middleware`).

`before_job` hooks run in order, `after_job` in reverse; a failing hook is logged, never fatal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mediamill.engine.wire import JobData
from mediamill.logs import get_logger
from mediamill.settings import Settings
from mediamill.tasks.context import JobInfo

log = get_logger("mediamill.worker")


@dataclass
class RunningJob:
    bull_job: Any
    data: JobData
    info: JobInfo
    settings: Settings
    max_attempts: int
    started: float = field(default_factory=time.monotonic)
    # Set when the job ends: whether this attempt was its last (no retry follows).
    final: bool = False

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started


class Middleware:
    async def before_job(self, job: RunningJob) -> None:
        """Called before the processor runs."""

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        """Called after each attempt; `job.final` says whether another attempt will follow.

        It runs before the completion is sent to Redis, so that nothing it records is lost if the
        worker dies right after: a worker killed between the two makes the job run again and this
        hook run again for it. What it writes must therefore be idempotent per job (the records
        keep a completed row as it is; a webhook delivery's id is the job's id and attempt)."""

    async def after_acknowledged(self, job: RunningJob, result: Any) -> None:
        """Called once Redis acknowledged the job's completion (it is completed there): at most once
        per job. What must not be said twice and may be lost in a crash (a log line) goes here."""

    async def on_progress(self, job: RunningJob, percent: float, step: str | None) -> None:
        """Called for each progress report the processor makes."""

    async def on_worker_start(self, worker: Any) -> None:
        """Called once when the worker process starts serving."""

    async def on_worker_stop(self, worker: Any) -> None:
        """Called once when the worker process stops."""


class LoggingMiddleware(Middleware):
    def __init__(self) -> None:
        self.log = log

    async def on_worker_start(self, worker: Any) -> None:
        # A logger bound once: the lazy proxy rebuilds its processor chain on every call (logging
        # was a fifth of a no-op job's cost).
        self.log = log.bind()

    async def before_job(self, job: RunningJob) -> None:
        # At debug only: the line that ends the attempt carries the same fields, and a second info
        # line per job was 4.5 us of the worker loop's ~135 us per no-op job (measured).
        info = job.info
        self.log.debug("job started", job_id=info.job_id, task=info.task, attempt=info.attempt,
                       queue=info.queue, run=info.run, step=info.step)

    async def after_acknowledged(self, job: RunningJob, result: Any) -> None:
        # Not in after_job: a worker killed before Redis acknowledged the completion would have
        # logged it, and the attempt that runs the job again would log it a second time.
        info = job.info
        self.log.info("job completed", job_id=info.job_id, task=info.task, attempt=info.attempt,
                      queue=info.queue, run=info.run, step=info.step, duration_s=round(job.elapsed_s, 3))

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        if error is None:  # said by after_acknowledged
            return
        info = job.info
        fields = dict(job_id=info.job_id, task=info.task, attempt=info.attempt, queue=info.queue, run=info.run,
                      step=info.step, duration_s=round(job.elapsed_s, 3))
        if job.final:
            self.log.error("job failed", error=str(error), error_type=_kind(error), **fields)
        else:
            self.log.warning("job attempt failed, will retry", error=str(error), error_type=_kind(error), **fields)


def _kind(error: BaseException) -> str:
    # An error from a task process arrives as TaskFailure; its `kind` is the original type.
    return getattr(error, "kind", None) or type(error).__name__


# Hooks for these run in registration order; the others (after_job, on_worker_stop) in reverse.
_FORWARD = ("before", "on_worker_start", "on_progress")


def hooks_for(hooks: list[Middleware], method: str) -> tuple[Middleware, ...]:
    """The hooks that override `method`, in call order (awaiting a base no-op per job is wasted work).

    Callers on the per-job path keep the result (see JobRunner) instead of recomputing it per job.
    """
    base = getattr(Middleware, method)
    ordered = hooks if method.startswith(_FORWARD) else reversed(hooks)
    return tuple(hook for hook in ordered
                 if method in getattr(hook, "__dict__", ()) or getattr(type(hook), method, base) is not base)


async def call_hooks(ordered: tuple[Middleware, ...], method: str, *args: Any) -> None:
    """Await `method` on each hook of `hooks_for(...)`; a failing hook is logged and the rest still run."""
    for hook in ordered:
        try:
            await getattr(hook, method)(*args)
        except Exception as exc:  # noqa: BLE001 - a hook must never take a job or the worker down
            log.exception("middleware hook failed", hook=type(hook).__name__, method=method, error=str(exc))


async def run_hooks(hooks: list[Middleware], method: str, *args: Any) -> None:
    await call_hooks(hooks_for(hooks, method), method, *args)
