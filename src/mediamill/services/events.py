"""A job's progress as a stream of events (progress, step, then completed/failed/cancelled), by polling.

Polling BullMQ every 250 ms costs one small Redis round trip per watcher and needs no per-job
subscription; QueueEvents would push, but keeps a blocking XREAD connection per watcher.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from mediamill.errors import NotFound
from mediamill.services.context import Services
from mediamill.services.jobs import get_job, is_final

POLL_S = 0.25
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
