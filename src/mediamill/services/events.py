"""A job's progress, or a pipeline run's steps, as a stream of events, by polling.

A job: progress, step, then completed/failed/cancelled. A run: `steps` whenever a step changes
(state, progress, attempts, items), then the run's final state.

Polling BullMQ every 250 ms costs one small Redis round trip per watcher and needs no per-job
subscription; QueueEvents would push, but keeps a blocking XREAD connection per watcher.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from mediamill.constants import FINAL_STATES
from mediamill.errors import NotFound
from mediamill.pipelines.runs import RunStatus
from mediamill.services.context import Services
from mediamill.services.jobs import get_job, is_final
from mediamill.services.runs import coordinator

POLL_S = 0.25
RUN_POLL_S = 0.5  # a run's status reads its step rows and their jobs' live progress: a little more
HEARTBEAT_S = 15.0


async def job_events(services: Services, job_id: str, *, poll_s: float = POLL_S,
                     heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[tuple[str, dict | None]]:
    """Yields (event, data); ("heartbeat", None) now and then so proxies keep the stream open."""
    view = await get_job(services, job_id)  # NotFound before the stream starts
    last_progress, last_step = None, None
    last_sent = time.monotonic()
    while True:
        if view["step"] != last_step and view["step"] is not None:
            last_step = view["step"]
            yield "step", {"id": job_id, "step": view["step"], "progress": view["progress"]}
            last_sent = time.monotonic()
        if (view["progress"], view["status"]) != last_progress:
            last_progress = (view["progress"], view["status"])
            yield "progress", {"id": job_id, "status": view["status"], "progress": view["progress"],
                               "step": view["step"], "attempts": view["attempts"]}
            last_sent = time.monotonic()
        if is_final(view["status"]):
            yield view["status"], view
            return
        if time.monotonic() - last_sent >= heartbeat_s:
            yield "heartbeat", None
            last_sent = time.monotonic()
        await asyncio.sleep(poll_s)
        try:
            view = await get_job(services, job_id)
        except NotFound as exc:  # removed while watched (e.g. BullMQ retention with no record)
            yield "error", exc.public()
            return


def run_snapshot(status: RunStatus) -> dict:
    """What a watcher of a run needs to redraw it: the run's state and each step's."""
    return {"id": status.id, "state": status.state, "progress": status.progress,
            "steps": [{"name": step.name, "state": step.state, "progress": step.progress, "attempts": step.attempts,
                       "job_id": step.job_id, "items_total": step.items_total, "items_done": step.items_done,
                       "duration_s": step.duration_s} for step in status.steps]}


async def run_events(services: Services, run_id: str, *, poll_s: float = RUN_POLL_S,
                     heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[tuple[str, dict | None]]:
    """Yields ("steps", snapshot) first and on every change, then (final state, snapshot); heartbeats between."""
    runs = coordinator(services)
    status = await runs.status(run_id)  # NotFound before the stream starts
    last: dict | None = None
    last_sent = time.monotonic()
    while True:
        snapshot = run_snapshot(status)
        if snapshot != last:
            last = snapshot
            yield "steps", snapshot
            last_sent = time.monotonic()
        if status.state in FINAL_STATES:
            yield status.state, snapshot
            return
        if time.monotonic() - last_sent >= heartbeat_s:
            yield "heartbeat", None
            last_sent = time.monotonic()
        await asyncio.sleep(poll_s)
        try:
            status = await runs.status(run_id)
        except NotFound as exc:  # deleted while watched
            yield "error", exc.public()
            return
