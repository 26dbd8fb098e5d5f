"""One processor call in picklable form, and the TaskContext built from it (the same in every mode).

Kept light on purpose: a task process imports this before its first job (see `child`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediamill.engine.wire import to_wire
from mediamill.errors import Cancelled, JobTimeout
from mediamill.settings import Settings
from mediamill.storage import open_store
from mediamill.storage.artifact import Artifact
from mediamill.tasks.context import JobInfo, Reporter, TaskContext
from mediamill.tasks.registry import TaskSpec, get_task

# After a cancel, a processor has this long to stop on its own before its process is killed.
CANCEL_GRACE_S = 5.0
# The hard timeout fires this long after the cooperative deadline, so ctx.check() usually wins.
HARD_TIMEOUT_SLACK_S = 2.0


@dataclass
class Call:
    """Everything a processor run needs, in picklable form."""

    job: JobInfo
    params: dict
    inputs: list[dict]
    scratch: str
    ttl_hours: float | None
    limits: dict
    timeout_s: float
    # Filled in by the executor: the deadline on this process's monotonic clock.
    deadline: float | None = field(default=None)
    # Resident memory ceiling of the task process (process isolation only), MB.
    memory_limit_mb: int | None = None


class Callbacks:
    """Where a running processor's progress and log lines go, on the event loop."""

    def __init__(self, on_progress, on_log) -> None:
        self.on_progress, self.on_log = on_progress, on_log


def prepare(call: Call, settings: Settings, reporter: Reporter, cancel_event,
            store=None) -> tuple[TaskSpec, Any, TaskContext]:
    """The task, its parsed params and the context its processor gets: built here and nowhere else."""
    spec = get_task(call.job.task)
    params = spec.parse_params(call.params)
    ctx = TaskContext(
        job=call.job,
        store=store or open_store(settings),
        scratch=Path(call.scratch),
        inputs=[Artifact.model_validate(raw) for raw in call.inputs],
        reporter=reporter,
        limits=call.limits,  # validated when the processor first reads ctx.limits
        ttl_hours=call.ttl_hours,
        cancel_event=cancel_event,
        deadline=time.monotonic() + call.timeout_s,
        settings=settings,
    )
    return spec, params, ctx


def run_call(call: Call, settings: Settings, reporter: Reporter, cancel_event) -> Any:
    """A synchronous processor run to its wire result (in a thread, or in a task process)."""
    spec, params, ctx = prepare(call, settings, reporter, cancel_event)
    return to_wire(spec.fn(ctx, params))


class CancelSignal(asyncio.Event):
    """An asyncio.Event that also calls back when set, so waiting on it needs no task of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list = []

    def set(self) -> None:
        super().set()
        for callback in self._callbacks:
            callback()

    def watch(self, callback) -> None:
        self._callbacks.append(callback)

    def unwatch(self, callback) -> None:
        with contextlib.suppress(ValueError):
            self._callbacks.remove(callback)


async def race(work: asyncio.Future, cancel: asyncio.Event, timeout: float, on_cancel) -> Any:
    """The work's result, unless the job is cancelled (Cancelled) or runs past `timeout` (JobTimeout).

    Either way `on_cancel` tells the work to stop; after a cancel it gets CANCEL_GRACE_S to do so.
    One future woken by callbacks (the work's end, the timer, the cancel signal): this runs for
    every job, and asyncio.wait with a task watching the cancel event cost a no-op job ~15 us.
    """
    loop = asyncio.get_running_loop()
    woken = loop.create_future()

    def wake(*_: Any) -> None:
        if not woken.done():
            woken.set_result(None)

    work.add_done_callback(wake)
    timer = loop.call_later(timeout, wake)
    cancel_wait = None
    if isinstance(cancel, CancelSignal):
        cancel.watch(wake)
    else:
        cancel_wait = asyncio.ensure_future(cancel.wait())
        cancel_wait.add_done_callback(wake)
    try:
        if not (work.done() or cancel.is_set()):
            await woken
    finally:
        timer.cancel()
        work.remove_done_callback(wake)
        if cancel_wait is None:
            cancel.unwatch(wake)
        else:
            cancel_wait.cancel()
    if work.done():
        return work.result()
    on_cancel()
    if cancel.is_set():
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(work), CANCEL_GRACE_S)
        raise Cancelled("the job was cancelled")
    raise JobTimeout(f"the job ran past its timeout of {timeout:.0f} s")
