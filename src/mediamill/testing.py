"""Helpers for testing processors and the engine for real (shipped, so plugin authors can use them)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from mediamill.composition import install_tasks
from mediamill.engine.broker import Broker, new_job_id
from mediamill.engine.wire import to_wire
from mediamill.engine.worker import WorkerService
from mediamill.serve import build_worker
from mediamill.settings import Settings
from mediamill.storage import open_store
from mediamill.storage.artifact import Artifact
from mediamill.tasks.context import JobInfo, ListReporter, TaskContext
from mediamill.tasks.registry import get_task


def make_context(settings: Settings, task: str, inputs: list[Path | bytes | Artifact] = (), *,
                 job_id: str = "job_test", scratch: Path | None = None) -> TaskContext:
    """A real TaskContext over the settings' store, with inputs stored first."""
    store = open_store(settings)
    artifacts = [item if isinstance(item, Artifact) else store.put(item, name=getattr(item, "name", None))
                 for item in inputs]
    scratch = scratch or settings.resolved_data_dir / "scratch" / job_id
    scratch.mkdir(parents=True, exist_ok=True)
    install_tasks(settings)
    spec = get_task(task)
    return TaskContext(job=JobInfo(job_id=job_id, task=task, queue=spec.queue), store=store, scratch=scratch,
                       inputs=artifacts, reporter=ListReporter(), limits=settings.limits,
                       ttl_hours=settings.storage_ttl_hours, settings=settings)


def call_task(settings: Settings, task: str, params: dict | None = None,
              inputs: list[Path | bytes | Artifact] = (), **kw: Any) -> tuple[dict, TaskContext]:
    """Run a processor directly, in this process, as the worker would (params validated, result wired)."""
    install_tasks(settings)
    spec = get_task(task)
    ctx = make_context(settings, task, inputs, **kw)
    return to_wire(spec.fn(ctx, spec.parse_params(params))), ctx


@contextlib.asynccontextmanager
async def running_worker(settings: Settings, queues: list[str] | None = None, **kw: Any) -> AsyncIterator[WorkerService]:
    """An in-process worker serving `queues` until the block ends."""
    service = build_worker(settings, queues, **kw)
    await service.start()
    try:
        yield service
    finally:
        await service.stop(grace_s=5)


def run(coro):
    return asyncio.run(coro)


async def enqueue_raw(broker: Broker, task: str, data: dict, *, attempts: int = 3) -> str:
    """Put job data straight into BullMQ, as a Node producer would: none of the submit checks run,
    so a test can show what the worker still checks. Returns the job id."""
    job_id = new_job_id()
    queue = get_task(task).queue
    await broker.queue(queue).add(task, {"task": task, **data}, {"jobId": job_id, "attempts": attempts})
    return job_id


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
