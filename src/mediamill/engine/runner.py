"""The processor BullMQ calls for every job: parse it, run the attempt hooks around the processor, report.

What happens around the processor (time budget, middleware, cancel-before-start, retry
classification, shutdown cut-off, the error BullMQ sees, scratch cleanup) is an ordered stack of
hooks in `attempts`; this module keeps the per-worker state and the one path through them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bullmq import UnrecoverableError

from mediamill import constants as C
from mediamill.engine.attempts import ActiveJob, Attempt, AttemptHook, HookPlan, standard_hooks
from mediamill.engine.call import Call, Callbacks
from mediamill.engine.cancels import CancelWatch
from mediamill.engine.executor import execute
from mediamill.engine.inputs import resolve_inputs
from mediamill.engine.jobs import format_failure
from mediamill.engine.memory_limits import isolation_under
from mediamill.engine.middleware import Middleware, RunningJob, call_hooks, hooks_for, run_hooks
from mediamill.engine.pool import ProcessPool
from mediamill.engine.wire import JobData
from mediamill.errors import MediamillError
from mediamill.settings import Settings
from mediamill.storage import open_store
from mediamill.tasks.context import JobInfo
from mediamill.tasks.registry import task_info


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
        # Attempts whose processor returned and whose completion Redis has not acknowledged yet.
        self.completing: dict[str, tuple[RunningJob, Any]] = {}
        # Set by the worker; None (tests, tools) means "ask Redis for every job".
        self.cancels: CancelWatch | None = None
        # Per-job work that never changes is done once: a no-op job's cost is mostly engine overhead.
        self.scratch_root = settings.resolved_data_dir / "scratch"
        self.limits = settings.limits.model_dump(mode="json")
        self._timeouts: dict[tuple[str, str], float] = {}
        self._policies: dict[str, Any] = {}
        # Which hooks override each per-job method, worked out once (rebuilt if the list changes).
        self._planned_for: tuple[Middleware, ...] = ()
        self._plans: dict[str, tuple[Middleware, ...]] = {}
        self.attempt_hooks: list[AttemptHook] = standard_hooks(self)
        self._attempt_plan = HookPlan.of(self.attempt_hooks)

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
                                   or self.policy(queue).timeout_s)
        return self._timeouts[key]

    def policy(self, queue: str) -> Any:
        """The queue's policy, looked up once: Settings.policy serialises every queue's overrides
        to find its memo (9 us a call, measured; the ownership check made one per job)."""
        policy = self._policies.get(queue)
        if policy is None:
            policy = self._policies[queue] = self.settings.policy(queue)
        return policy

    async def is_cancelled(self, job_id: str) -> bool:
        if self.cancels is not None:
            return await self.cancels.is_cancelled(job_id)
        return bool(await self.redis.exists(C.cancelled_key(job_id)))

    def for_queue(self, queue: str):
        async def process(job: Any, token: str) -> Any:
            return await self.process(queue, job, token)

        return process

    async def process(self, queue: str, bull_job: Any, token: str) -> Any:
        attempt = self._attempt(queue, bull_job, token)
        plan = self._attempt_plan
        try:
            for hook in plan.before:
                await hook.before(attempt)
            result = await self._run(attempt)
        except BaseException as exc:
            error: BaseException = exc
            for hook in plan.failed:
                error = await hook.failed(attempt, error)
            raise error from exc
        else:
            for hook in plan.succeeded:
                await hook.succeeded(attempt, result)
            self.completing[bull_job.id] = (attempt.running, result)
            return result
        finally:
            self.active.pop(bull_job.id, None)
            for hook in plan.cleanup:
                await hook.cleanup(attempt)

    async def attempt_end(self, bull_job: Any, acknowledged: bool) -> None:
        """Called by the BullMQ worker when an attempt is over; `acknowledged`: Redis completed the job.

        The after_acknowledged hooks run here, so what they say is said once per job: a worker killed
        before the acknowledgement never says it, and the attempt that runs the job again does."""
        entry = self.completing.pop(bull_job.id, None)
        if entry is not None and acknowledged:
            await call_hooks(self.planned_hooks("after_acknowledged"), "after_acknowledged", *entry)

    def _attempt(self, queue: str, bull_job: Any, token: str) -> Attempt:
        attempt = int(bull_job.attemptsMade or 0) + 1
        try:
            data = JobData.parse(bull_job.data, bull_job.name)
            spec = task_info(data.task)  # metadata only: a process task's module loads in its task process
        except MediamillError as exc:
            raise UnrecoverableError(format_failure(exc)) from exc
        # The time budget goes in here (the Timeout hook finds it set): rebuilding the frozen JobInfo
        # with dataclasses.replace cost 3 us per job.
        info = JobInfo(job_id=bull_job.id, task=spec.name, queue=queue, attempt=attempt, run=data.run, step=data.step,
                       timeout_s=self.timeout_for(queue, spec), claim=token)
        running = RunningJob(bull_job=bull_job, data=data, info=info, settings=self.settings,
                             max_attempts=int(bull_job.opts.get("attempts") or 1))
        active = self.active[bull_job.id] = ActiveJob(running)
        return Attempt(queue=queue, bull_job=bull_job, token=token, data=data, spec=spec, running=running,
                       active=active, progress=_ProgressWriter(bull_job, running, self.hooks),
                       scratch=self.scratch_root / f"{bull_job.id}-{attempt}-{time.monotonic_ns()}")

    async def _run(self, attempt: Attempt) -> Any:
        """The processor itself: inputs resolved, the call built once, run in the task's isolation mode."""
        bull_job = attempt.bull_job
        inputs = await resolve_inputs(attempt.data.inputs, self.settings, self.store, bull_job.id)
        memory_limit_mb = attempt.spec.memory_limit_mb or self.policy(attempt.queue).memory_limit_mb
        call = Call(job=attempt.running.info, params=attempt.data.params,
                    inputs=[a.model_dump(mode="json") for a in inputs], scratch=str(attempt.scratch),
                    ttl_hours=self.settings.storage_ttl_hours, limits=self.limits, timeout_s=attempt.timeout_s,
                    memory_limit_mb=memory_limit_mb)
        callbacks = Callbacks(attempt.progress, lambda message, fields: self._log(bull_job, message, fields))
        isolation = isolation_under(attempt.spec.isolation, memory_limit_mb)  # a ceiling needs a task process
        return await execute(isolation, attempt.queue, call, settings=self.settings, pool=self.pool,
                             callbacks=callbacks, cancel=attempt.active.cancel, store=self.store)

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
