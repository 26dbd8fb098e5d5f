"""The ordered hooks around one attempt of one job: each does one thing the runner used to do inline.

The stack is an onion, like middleware: `before` runs top-down before the processor, `succeeded`
and `failed` bottom-up after it, and `cleanup` bottom-up always. `failed` gets the error and
returns the one to pass on (the translation for BullMQ is the outermost), or raises to end the
chain (a job the shutdown cut off goes back to its queue).

    ScratchCleanup       the attempt's scratch directory goes, whatever happened (with its stored files, unless recorded)
    BullTranslation      an error becomes BullMQ's: retried (RetryableFailure) or not (UnrecoverableError)
    Timeout              the task's time budget, from settings, the task, or the queue's policy
    JobMiddleware        the worker's middleware (before_job / after_job)
    LockFence            an attempt whose job lock another worker took over reports nothing
    RetryClassification  whether this attempt was the job's last
    ChildDeaths          a task process that died counts against the job's death budget, not its attempts
    ShutdownCutoff       a job the worker's shutdown cut off returns to its queue, attempt unspent
    CancelBeforeStart    a job cancelled while it waited never starts
    ProgressDrain        the last progress write lands before anything reports the end
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bullmq import UnrecoverableError
from bullmq.custom_errors import DelayedError

from mediamill.engine.call import CancelSignal
from mediamill.engine.jobs import WORKER_KILLER_MESSAGE, format_failure
from mediamill.engine.middleware import Middleware, RunningJob, call_hooks
from mediamill.engine.wire import JobData
from mediamill.errors import Cancelled, MediamillError, NotFound, RetryableFailure, WorkerCrashed
from mediamill.logs import get_logger
from mediamill.tasks.context import OUTPUTS_LIST
from mediamill.tasks.registry import TaskInfo

log = get_logger("mediamill.worker")


class JobRunner(Protocol):
    """What the hooks ask of the runner that owns them (engine.runner.JobRunner)."""

    settings: Any
    redis: Any
    store: Any  # the worker's ArtifactStore

    def timeout_for(self, queue: str, spec: TaskInfo) -> float: ...

    def policy(self, queue: str) -> Any: ...

    def planned_hooks(self, method: str) -> tuple[Middleware, ...]: ...

    async def is_cancelled(self, job_id: str) -> bool: ...


class ActiveJob:
    """A job this worker is running: its cancel signal, and whether shutdown cut it off."""

    def __init__(self, running: RunningJob) -> None:
        self.running = running
        self.cancel = CancelSignal()
        self.cutoff = False


@dataclass
class Attempt:
    """One attempt of one job, as the hooks see and fill it."""

    queue: str
    bull_job: Any
    token: str
    data: JobData
    spec: TaskInfo
    running: RunningJob
    active: ActiveJob
    progress: Any  # the runner's progress writer (drain())
    scratch: Path
    timeout_s: float = 0.0
    retryable: bool = True
    outputs_kept: bool = False  # set once the lock fence let the result through
    began: float = field(default_factory=time.monotonic)  # just after BullMQ claimed the job


class AttemptHook:
    async def before(self, attempt: Attempt) -> None:
        """Before the processor runs; raising stops the attempt (the error goes through `failed`)."""

    async def succeeded(self, attempt: Attempt, result: Any) -> None:
        """After the processor returned."""

    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        """After the processor (or a `before`) raised; returns the error to pass on."""
        return error

    async def cleanup(self, attempt: Attempt) -> None:
        """Always, last."""


class ScratchCleanup(AttemptHook):
    """The scratch directory goes; before it, the files an attempt stored go too unless its result was
    recorded (the lock fence passed): a failed attempt's (the retry stores its own), a lost one's."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def cleanup(self, attempt: Attempt) -> None:
        if not attempt.scratch.exists():
            return
        stored = attempt_outputs(attempt.scratch)
        if stored and not attempt.outputs_kept:
            dropped = await asyncio.to_thread(drop_outputs, self.runner.store, stored, attempt.bull_job.id)
            if dropped:
                log.info("outputs of an attempt whose result was not recorded deleted", job_id=attempt.bull_job.id,
                         attempt=attempt.running.info.attempt, artifacts=dropped)
        shutil.rmtree(attempt.scratch, ignore_errors=True)


class BullTranslation(AttemptHook):
    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        text = format_failure(error)
        failure = RetryableFailure(text) if attempt.retryable else UnrecoverableError(text)
        trace = getattr(error, "child_trace", None) or getattr(error, "trace", None)
        if trace:
            # BullMQ keeps the worker-side traceback in job.stacktrace; the note adds the task
            # process's own, where the error really happened.
            failure.add_note(f"Traceback in the task process:\n{trace.rstrip()}")
            await attempt.bull_job.log(trace)
        return failure


class Timeout(AttemptHook):
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def before(self, attempt: Attempt) -> None:
        attempt.timeout_s = self.runner.timeout_for(attempt.queue, attempt.spec)
        if attempt.running.info.timeout_s != attempt.timeout_s:  # the runner normally set it already
            attempt.running.info = dataclasses.replace(attempt.running.info, timeout_s=attempt.timeout_s)


class JobMiddleware(AttemptHook):
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def before(self, attempt: Attempt) -> None:
        await call_hooks(self.runner.planned_hooks("before_job"), "before_job", attempt.running)

    async def succeeded(self, attempt: Attempt, result: Any) -> None:
        await call_hooks(self.runner.planned_hooks("after_job"), "after_job", attempt.running, result, None)

    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        await call_hooks(self.runner.planned_hooks("after_job"), "after_job", attempt.running, None, error)
        return error


class AttemptLost(DelayedError):
    """The job is no longer this worker's: its lock expired and another worker took it over."""


class LockFence(AttemptHook):
    """Before the middleware records an attempt's end, make sure the job is still this worker's.

    A worker cut off from Redis (a network partition, a long freeze) keeps running its job while
    its lock expires and the stalled-job check hands the job to another worker. When the first one
    gets through again, its late result or failure must not overwrite the new owner's record, fire
    a second webhook or advance a pipeline twice. Renewing the lock here (a full lock duration, so
    it holds through the hooks and BullMQ's own completion) proves ownership; a lost lock, or a Redis
    that cannot answer, ends the attempt silently: BullMQ's completion would be refused anyway.

    The files such an attempt stored have ids of its own claim (TaskContext.put), so they never
    replaced the new owner's; ScratchCleanup deletes them (nothing records them).
    """

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def _check(self, attempt: Attempt, error: BaseException | None = None) -> None:
        duration = self.runner.policy(attempt.queue).lock_duration_ms
        if attempt.active.cutoff or time.monotonic() - attempt.began < duration / 2000:
            # Shutdown hands the job back itself (ShutdownCutoff). A job younger than half its lock
            # cannot have lost the lock its claim took: most jobs skip the extra round trip.
            return
        try:
            held = await attempt.bull_job.backend.extendLock(attempt.bull_job.id, attempt.token, duration)
        except Exception as exc:  # noqa: BLE001 - no answer is no proof of ownership
            held, error = 0, error or exc
        if int(held or 0) != 1:
            log.warning("job lock lost: another worker owns the job now; this attempt's end is not recorded",
                        job_id=attempt.bull_job.id, attempt=attempt.running.info.attempt,
                        error=str(error) if error else None)
            raise AttemptLost() from error

    async def succeeded(self, attempt: Attempt, result: Any) -> None:
        await self._check(attempt)
        attempt.outputs_kept = True  # the result, and the files it points to, are this attempt's to record

    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        await self._check(attempt, error)
        return error


def attempt_outputs(scratch: Path) -> list[str]:
    """The ids of the artifacts an attempt stored (TaskContext.put lists them in its scratch dir)."""
    try:
        return (scratch / OUTPUTS_LIST).read_text().split()
    except FileNotFoundError:
        return []


def drop_outputs(store: Any, artifact_ids: list[str], job_id: str) -> list[str]:
    """Delete those artifacts that this job made (never one it was given); returns their ids. A store
    that cannot answer leaves them to their expiry."""
    dropped = []
    for artifact_id in dict.fromkeys(artifact_ids):
        try:
            if store.stat(artifact_id).job == job_id:
                store.delete(artifact_id)
                dropped.append(artifact_id)
        except NotFound:
            continue
        except Exception as exc:  # noqa: BLE001 - cleanup only: the expiry sweep takes what stays
            log.warning("could not delete an unrecorded attempt's output; it goes at its expiry", job_id=job_id,
                        artifact=artifact_id, error=str(exc))
    return dropped


class RetryClassification(AttemptHook):
    async def succeeded(self, attempt: Attempt, result: Any) -> None:
        attempt.running.final = True

    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        # The class decides; a foreign error is worth another try, a cancelled coroutine is not.
        if isinstance(error, MediamillError):
            attempt.retryable = error.retryable
        else:
            attempt.retryable = not isinstance(error, asyncio.CancelledError)
        attempt.running.final = not attempt.retryable or attempt.running.info.attempt >= attempt.running.max_attempts
        return error


class ChildDeaths(AttemptHook):
    """A task process that died under a job (segfault, os._exit, the kernel's OOM killer) is a worker
    death, like a worker process that died: it counts against the job's death budget (`max_stalls`,
    kept in BullMQ's own stalled counter, so both kinds of death share it), not its attempts. Within
    the budget the job goes back to its queue after the queue's backoff; past it, it fails as a job
    that kills its workers."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        if type(error) is not WorkerCrashed or attempt.active.cutoff:
            return error
        job, policy = attempt.bull_job, self.runner.policy(attempt.queue)
        deaths = await self.runner.redis.hincrby(job.backend.toKey(job.id), "stc", 1)
        if deaths > policy.max_stalls:
            killer = WorkerCrashed(f"{WORKER_KILLER_MESSAGE} ({error})")
            killer.retryable = False
            return killer
        log.warning("task process died; the job goes back to its queue without spending an attempt",
                    job_id=job.id, deaths=deaths, max_stalls=policy.max_stalls, error=str(error))
        await job.moveToDelayed(int(time.time() * 1000) + policy.backoff_ms, attempt.token)
        raise DelayedError() from error


class ShutdownCutoff(AttemptHook):
    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        if attempt.active.cutoff:
            # Cut off by shutdown: back to the queue without spending an attempt.
            await attempt.bull_job.moveToDelayed(int(time.time() * 1000), attempt.token)
            raise DelayedError() from error
        return error


class CancelBeforeStart(AttemptHook):
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def before(self, attempt: Attempt) -> None:
        if await self.runner.is_cancelled(attempt.bull_job.id):
            raise Cancelled("the job was cancelled before it started")


class ProgressDrain(AttemptHook):
    async def succeeded(self, attempt: Attempt, result: Any) -> None:
        await attempt.progress.drain()

    async def failed(self, attempt: Attempt, error: BaseException) -> BaseException:
        await attempt.progress.drain()
        return error


def standard_hooks(runner: JobRunner) -> list[AttemptHook]:
    """The stack in its order (outermost first); the order is the behaviour, see the module doc."""
    return [ScratchCleanup(runner), BullTranslation(), Timeout(runner), JobMiddleware(runner), LockFence(runner),
            RetryClassification(), ChildDeaths(runner), ShutdownCutoff(), CancelBeforeStart(runner), ProgressDrain()]


@dataclass(frozen=True)
class HookPlan:
    """Per phase, only the hooks that override it, already in call order (a no-op job is mostly overhead)."""

    before: tuple[AttemptHook, ...]
    succeeded: tuple[AttemptHook, ...]
    failed: tuple[AttemptHook, ...]
    cleanup: tuple[AttemptHook, ...]

    @classmethod
    def of(cls, hooks: list[AttemptHook]) -> HookPlan:
        def overriding(method: str, order: list[AttemptHook]) -> tuple[AttemptHook, ...]:
            base = getattr(AttemptHook, method)
            return tuple(h for h in order if getattr(type(h), method) is not base)

        inward, outward = list(hooks), list(reversed(hooks))
        return cls(overriding("before", inward), overriding("succeeded", outward), overriding("failed", outward),
                   overriding("cleanup", outward))
