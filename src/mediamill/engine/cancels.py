"""Which jobs are cancelled, known locally by each worker, so picking up a job costs no Redis round trip.

A cancel writes a mark per job (read by `status`), adds the id to an index (a sorted set scored by
expiry) and publishes it. A worker subscribes, loads the index at start and re-reads it every few
seconds (a message lost during a reconnect is caught then). A local hit is confirmed against the
mark, so a job that was cancelled and then retried is never discarded by a stale entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from mediamill import constants as C
from mediamill.logs import get_logger

log = get_logger("mediamill.worker")

# How often a worker re-reads the whole index (catches messages lost while reconnecting).
RESYNC_S = 2.0
# A published "-<id>" withdraws a cancel (the job was retried).
UNCANCEL_PREFIX = "-"


async def mark_cancelled(redis: Any, job_id: str) -> None:
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(C.cancelled_key(job_id), "1", ex=C.CANCEL_MARK_TTL_S)
        pipe.zadd(C.CANCELLED_INDEX_KEY, {job_id: now + C.CANCEL_MARK_TTL_S})
        pipe.zremrangebyscore(C.CANCELLED_INDEX_KEY, "-inf", now)
        pipe.publish(C.CANCEL_CHANNEL, job_id)
        await pipe.execute()


async def clear_cancelled(redis: Any, job_id: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(C.cancelled_key(job_id))
        pipe.zrem(C.CANCELLED_INDEX_KEY, job_id)
        pipe.publish(C.CANCEL_CHANNEL, UNCANCEL_PREFIX + job_id)
        await pipe.execute()


class CancelWatch:
    """A worker's view of the cancelled jobs; `on_cancel(job_id)` stops a job running here."""

    def __init__(self, redis: Any, on_cancel: Callable[[str], Any]) -> None:
        self.redis = redis
        self.on_cancel = on_cancel
        self.ids: set[str] = set()
        self.ready = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def is_cancelled(self, job_id: str) -> bool:
        if job_id not in self.ids:
            return False
        return bool(await self.redis.exists(C.cancelled_key(job_id)))

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())
        await self.ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def _resync(self) -> None:
        ids = set(await self.redis.zrangebyscore(C.CANCELLED_INDEX_KEY, time.time(), "+inf"))
        for job_id in ids - self.ids:
            self.on_cancel(job_id)
        self.ids = ids

    def _handle(self, data: str) -> None:
        if data.startswith(UNCANCEL_PREFIX):
            self.ids.discard(data[len(UNCANCEL_PREFIX):])
        else:
            self.ids.add(data)
            self.on_cancel(data)

    async def _run(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                # Subscribe before reading the index: no cancel falls between the two.
                await pubsub.subscribe(C.CANCEL_CHANNEL)
                await self._resync()
                self.ready.set()
                next_resync = time.monotonic() + RESYNC_S
                while True:
                    message = await pubsub.get_message(timeout=RESYNC_S)
                    if message and message.get("type") == "message":
                        self._handle(message["data"])
                    if time.monotonic() >= next_resync:
                        await self._resync()
                        next_resync = time.monotonic() + RESYNC_S
            except (RedisError, OSError) as exc:
                log.warning("cancel listener lost Redis; reconnecting", error=str(exc))
                self.ready.set()  # never hold up start-up; the next resync catches up
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
