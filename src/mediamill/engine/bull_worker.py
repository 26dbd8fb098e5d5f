"""bullmq.Worker with two fixes the Python port lacks and Node's worker has.

1. Fetch-next: BullMQ's `moveToFinished` script completes a job and claims the next one in the same
   call. Node's worker uses that; the Python worker completes with `fetch_next=False` and claims the
   next job in a second script call, so every job paid two round trips and an extra pass through
   the worker's `asyncio.wait` over all slots. Here a slot keeps going with the job its completion
   claimed, and only goes back to the worker loop when the queue is empty, rate-limited, paused or
   closing.
2. One claim at a time: the Python worker's loop starts a claim for every free slot at once. On an
   empty queue all but one come back empty: at concurrency 50 each new job set off ~50 claim
   scripts, queued in Redis and on the event loop ahead of that job's own completion (5 ms of a
   single job's 7 ms). Node's worker claims one at a time; so does this one.
3. Batched completions: the Python worker sends each completion on its one command connection and
   waits for its reply before the next can go; here completions made while one round trip is out
   go together in one pipeline (`script_batch`), with the same script, keys and arguments.
4. Rate limits: the Python worker records the limiter's remaining time but still blocks for the full
   drain delay, so every window of a rate-limited queue was stretched to 5 s.
5. An end-of-attempt callback (`on_attempt_end`) that says whether Redis acknowledged the job's
   completion: what is true only once the job is completed in Redis (the "job completed" log line)
   is said there, never before (a worker killed in between would run the job again and say it twice).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bullmq import Job, Worker
from bullmq.custom_errors import DelayedError, UnrecoverableError, WaitingChildrenError
from bullmq.scripts import raw2NextJobData
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mediamill.engine.redis_urls import is_sentinel, redis_client
from mediamill.engine.script_batch import ScriptBatch

# BullMQ blocks on BZPOPMIN for up to 10 s (5 s when drained). redis-py 8's default socket timeout is
# 5 s: the wait timed out at the socket and redis-py retried it with back-off instead of returning,
# so a rate-limited queue (which no new job wakes up) stalled for minutes.
BLOCKING_SOCKET_TIMEOUT_S = 30


def worker_connection(url: str) -> str | Any:
    """What one BullMQ worker connects with: its URL (BullMQ opens its own two connections from it),
    or for a Sentinel URL a client of its own that follows the primary across failovers."""
    if is_sentinel(url):
        # Pooled: BullMQ shares one client for its commands and its blocking wait.
        return redis_client(url, decode_responses=True, socket_timeout=BLOCKING_SOCKET_TIMEOUT_S,
                            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 8),
                            retry_on_error=[RedisConnectionError, RedisTimeoutError])
    return f"{url}{'&' if '?' in url else '?'}socket_timeout={BLOCKING_SOCKET_TIMEOUT_S}"


class BullWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._claiming = asyncio.Lock()
        super().__init__(*args, **kwargs)
        self.finish_batch = ScriptBatch(self.client, self.scripts.commands["moveToFinished"])
        # Awaited once per attempt with (job, acknowledged): acknowledged is True only when Redis
        # answered the job's moveToFinished (the job is completed there). Set by the worker service.
        self.on_attempt_end: Callable[[Job, bool], Awaitable[None]] | None = None

    async def _move_to_completed(self, job: Job, result: Any, token: str, fetch_next: bool) -> Any:
        """bullmq's moveToCompleted (same script and arguments), batched with other slots' completions."""
        keys, args = self.scripts.moveToCompletedArgs(job, result, job.opts.get("removeOnComplete", False), token,
                                                      fetch_next)
        reply = await self.finish_batch(keys, args)
        if type(reply) is int and reply < 0:
            raise self.scripts.finishedErrors({"code": reply, "jobId": job.id, "command": "moveToFinished",
                                               "state": "active"})
        return raw2NextJobData(reply) if reply is not None else None

    async def getNextJob(self, token: str) -> Job | None:
        # Claims queue up here, one at a time. On an empty queue the slot holding the lock blocks
        # in BullMQ's wait for a job (BZPOPMIN) while the others wait their turn on the lock.
        async with self._claiming:
            if self.closing or self.paused:
                return None  # the loop is winding down: claim nothing more
            return await super().getNextJob(token)

    def getBlockTimeout(self, block_until: int) -> float:
        timeout = super().getBlockTimeout(block_until)
        if self.limitUntil > 0:
            timeout = min(timeout, max(self.limitUntil / 1000, self.minimumBlockTimeout))
        return timeout

    async def processJob(self, job: Job, token: str) -> None:
        next_job: Job | None = job
        while next_job is not None:
            next_job = await self._process_one(next_job, token)

    async def _process_one(self, job: Job, token: str) -> Job | None:
        """Run one job to its end; return the next job its completion claimed, if any."""
        for option in ("removeOnComplete", "removeOnFail"):
            if option not in job.opts and option in self.opts:
                job.opts[option] = self.opts[option]
        self.jobs.add((job, token))
        controller = self.lockManager.track_job(job.id, token, int(time.time() * 1000),
                                                should_create_controller=self._processor_wants_signal)
        claimed = None
        acknowledged = False
        try:
            if job.deferredFailure:
                await job.moveToFailed(UnrecoverableError(job.deferredFailure), token)
                self.emit("failed", job, UnrecoverableError(job.deferredFailure))
                return None
            if controller is not None:
                result = await self.processor(job, token, controller.signal)
            else:
                result = await self.processor(job, token)
            if not self.forceClosing:
                fetch_next = not (self.closing or self.paused)
                next_job = await self._move_to_completed(job, result, token, fetch_next)
                acknowledged = True
                job.returnvalue = result
                job.attemptsMade = job.attemptsMade + 1
                if fetch_next:
                    claimed = next_job
            self.emit("completed", job, result)
        except (DelayedError, WaitingChildrenError):
            return None
        except Exception as err:  # noqa: BLE001 - as bullmq: the job fails, the worker goes on
            try:
                if not self.forceClosing:
                    await job.moveToFailed(err, token)
                self.emit("failed", job, err)
            except Exception as move_error:  # noqa: BLE001
                self.emit("error", move_error, job)
            return None
        finally:
            self.jobs.discard((job, token))
            self.lockManager.untrack_job(job.id)
            if self.on_attempt_end is not None:
                await self.on_attempt_end(job, acknowledged)
        return await self._claimed_job(claimed, token)

    async def _claimed_job(self, claimed: Any, token: str) -> Job | None:
        if not claimed:
            return None
        data, job_id, limit_until, delay_until = claimed
        # Also records the limiter's and the delayed set's wake-up times, as a separate claim would.
        job = await self.nextJobFromJobData(data, job_id, limit_until or 0, delay_until or 0, token)
        if job is not None:
            self.emit("active", job, "waiting")
        return job
