"""The processor BullMQ calls for every job: parse, check, resolve inputs, execute, report, translate errors."""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

from bullmq import UnrecoverableError
from bullmq.custom_errors import DelayedError

from mediamill import constants as C
from mediamill.engine.cancels import CancelWatch
from mediamill.engine.executor import Call, Callbacks, ProcessPool, run_in_thread, run_inline
from mediamill.engine.inputs import resolve_inputs
from mediamill.engine.jobs import format_failure
from mediamill.engine.middleware import Middleware, RunningJob, call_hooks, hooks_for, run_hooks
from mediamill.engine.wire import JobData
from mediamill.errors import Cancelled, MediamillError, RetryableFailure
from mediamill.settings import Settings
from mediamill.storage import open_store
from mediamill.tasks.context import JobInfo
from mediamill.tasks.registry import get_task


class ActiveJob:
    def __init__(self, running: RunningJob) -> None:
        self.running = running
        self.cancel = asyncio.Event()
        self.cutoff = False


class _ProgressWriter:
    """Writes the newest progress to BullMQ, one write at a time, in order, dropping stale ones."""

    def __init__(self, bull_job: Any, running: RunningJob, hooks: list[Middleware]) -> None:
        self.bull_job, self.running, self.hooks = bull_job, running, hooks
        self.latest: tuple[float, str | None] | None = None
        self.task: asyncio.Task | None = None

    def __call__(self, percent: float, step: str | None) -> None:
        self.latest = (percent, step)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        while self.latest is not None:
            percent, step = self.latest
            self.latest = None
            await self.bull_job.updateProgress({"percent": percent, "step": step})
            await run_hooks(self.hooks, "on_progress", self.running, percent, step)

    async def drain(self) -> None:
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


class JobRunner:
    def __init__(self, settings: Settings, redis: Any, pool: ProcessPool, hooks: list[Middleware]) -> None:
        self.settings = settings
        self.redis = redis
        self.pool = pool
        self.hooks = hooks
        self.store = open_store(settings)
        self.active: dict[str, ActiveJob] = {}
        # Set by the worker; None (tests, tools) means "ask Redis for every job".
        self.cancels: CancelWatch | None = None
        # Per-job work that never changes is done once: a no-op job's cost is mostly engine overhead.
        self.scratch_root = settings.resolved_data_dir / "scratch"
        self.limits = settings.limits.model_dump(mode="json")
        self._timeouts: dict[tuple[str, str], float] = {}
        # Which hooks override each per-job method, worked out once (rebuilt if the list changes).
        self._planned_for: tuple[Middleware, ...] = ()
        self._plans: dict[str, tuple[Middleware, ...]] = {}

    def planned_hooks(self, method: str) -> tuple[Middleware, ...]:
        current = tuple(self.hooks)
        if current != self._planned_for:
            self._planned_for, self._plans = current, {}
        plan = self._plans.get(method)
        if plan is None:
            plan = self._plans[method] = hooks_for(self.hooks, method)
        return plan

    def timeout_for(self, queue: str, spec: Any) -> float:
        key = (queue, spec.name)
        if key not in self._timeouts:
            override = self.settings.tasks.get(spec.name)
            self._timeouts[key] = ((override and override.timeout_s) or spec.timeout_s
                                   or self.settings.policy(queue).timeout_s)
        return self._timeouts[key]

    async def is_cancelled(self, job_id: str) -> bool:
        if self.cancels is not None:
            return await self.cancels.is_cancelled(job_id)
        return bool(await self.redis.exists(C.cancelled_key(job_id)))

    def for_queue(self, queue: str):
        async def process(job: Any, token: str) -> Any:
            return await self.process(queue, job, token)

        return process

    async def process(self, queue: str, bull_job: Any, token: str) -> Any:  # noqa: C901 - the one long path
        attempt = int(bull_job.attemptsMade or 0) + 1
        max_attempts = int(bull_job.opts.get("attempts") or 1)
        try:
            data = JobData.parse(bull_job.data, bull_job.name)
            spec = get_task(data.task)
        except MediamillError as exc:
            raise UnrecoverableError(format_failure(exc)) from exc
        timeout = self.timeout_for(queue, spec)
        info = JobInfo(job_id=bull_job.id, task=spec.name, queue=queue, attempt=attempt,
                       run=data.run, step=data.step, timeout_s=timeout)
        running = RunningJob(bull_job=bull_job, data=data, info=info, settings=self.settings,
                             max_attempts=max_attempts)
        active = self.active[bull_job.id] = ActiveJob(running)
        progress = _ProgressWriter(bull_job, running, self.hooks)
        scratch = self.scratch_root / f"{bull_job.id}-{attempt}-{time.monotonic_ns()}"
        await call_hooks(self.planned_hooks("before_job"), "before_job", running)
        try:
            if await self.is_cancelled(bull_job.id):
                raise Cancelled("the job was cancelled before it started")
            inputs = await resolve_inputs(data.inputs, self.settings, self.store, bull_job.id)
            call = Call(job=info, params=data.params, inputs=[a.model_dump(mode="json") for a in inputs],
                        scratch=str(scratch), ttl_hours=self.settings.storage_ttl_hours,
                        limits=self.limits, timeout_s=timeout)
            callbacks = Callbacks(progress, lambda message, fields: self._log(bull_job, message, fields))
            if spec.isolation == "inline":
                result = await run_inline(call, self.settings, callbacks, active.cancel, store=self.store)
            elif spec.isolation == "thread":
                result = await run_in_thread(call, self.settings, callbacks, active.cancel)
            else:
                result = await self.pool.run(queue, call, callbacks, active.cancel)
        except BaseException as exc:
            await progress.drain()
            if active.cutoff:
                # Cut off by shutdown: back to the queue without spending an attempt.
                await bull_job.moveToDelayed(int(time.time() * 1000), token)
                raise DelayedError() from exc
            retryable = exc.retryable if isinstance(exc, MediamillError) else not isinstance(exc, asyncio.CancelledError)
            running.final = not retryable or attempt >= max_attempts
            await call_hooks(self.planned_hooks("after_job"), "after_job", running, None, exc)
            failure = RetryableFailure(format_failure(exc)) if retryable else UnrecoverableError(format_failure(exc))
            trace = getattr(exc, "child_trace", None) or getattr(exc, "trace", None)
            if trace:
                # BullMQ keeps the worker-side traceback in job.stacktrace; the note adds the task
                # process's own, where the error really happened.
                failure.add_note(f"Traceback in the task process:\n{trace.rstrip()}")
                await bull_job.log(trace)
            raise failure from exc
        else:
            await progress.drain()
            running.final = True
            await call_hooks(self.planned_hooks("after_job"), "after_job", running, result, None)
            return result
        finally:
            self.active.pop(bull_job.id, None)
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)

    def _log(self, bull_job: Any, message: str, fields: dict) -> None:
        line = message + ("" if not fields else " " + " ".join(f"{k}={v}" for k, v in fields.items()))
        asyncio.ensure_future(bull_job.log(line))

    def cancel(self, job_id: str) -> bool:
        active = self.active.get(job_id)
        if active is None:
            return False
        active.cancel.set()
        return True

    def cut_off_all(self) -> int:
        for active in self.active.values():
            active.cutoff = True
            active.cancel.set()
        return len(self.active)
