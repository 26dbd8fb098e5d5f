"""The producer side of the engine: submit jobs, read their status, cancel, retry, pause, count.

One Broker per process and event loop; it owns the Redis connection and the BullMQ Queue objects.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bullmq import Job, Queue
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mediamill import constants as C
from mediamill.engine.cancels import clear_cancelled, mark_cancelled
from mediamill.engine.connection import redis_url
from mediamill.engine.jobs import JobState, JobStatus, status_from_bull
from mediamill.engine.redis_urls import redis_client
from mediamill.engine.wire import JobData, JobRequest, PreparedJob
from mediamill.errors import BadInput, Conflict, NotFound, NotReplicated, WaitTimedOut
from mediamill.fetch.guard import check_public_url
from mediamill.settings import Settings
from mediamill.storage import open_store
from mediamill.tasks.registry import get_task

# A waiter reads its job's status at least this often, whatever the event stream says.
WAIT_RECHECK_S = 0.25
# ... and this often while the job runs: a running job's end (completed, failed, cancelled by its worker,
# or back in the queue after a stall) is always an event in the stream; only a queued job can be
# cancelled without one (the cancel mark). Four full status reads a second cost a client ~1.8 ms/s of
# CPU per job it waits on.
WAIT_RECHECK_ACTIVE_S = 2.0
# BullMQ events after which a job is still unfinished, whatever else happens.
NOT_FINISHING_EVENTS = ("active", "progress")
# The keys of BullMQ's getState script, in its order.
STATE_KEYS = ["completed", "failed", "delayed", "active", "wait", "paused", "waiting-children", "prioritized"]
COUNT_STATES = ("waiting", "active", "completed", "failed", "delayed", "paused", "prioritized", "waiting-children")


def new_job_id() -> str:
    # Time-ordered (hex of ms) then random: ids sort by submission time in listings.
    return f"{C.JOB_ID_PREFIX}{int(time.time() * 1000):x}{uuid.uuid4().hex[:12]}"


def connection_retry() -> Retry:
    # Ride out a Redis restart (the embedded server after a crash, a managed Redis failover):
    # a pooled connection to the old server fails once, then reconnects.
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), 8)


class Broker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = redis_url(settings)
        self.redis = redis_client(self.url, decode_responses=True, retry=connection_retry(),
                                  retry_on_error=[RedisConnectionError, RedisTimeoutError])
        self._queues: dict[str, Queue] = {}

    def queue(self, name: str) -> Queue:
        self.settings.policy(name)  # NotFound for unknown queues
        if name not in self._queues:
            self._queues[name] = Queue(name, {"connection": self.redis, "prefix": C.KEY_PREFIX})
        return self._queues[name]

    async def close(self) -> None:
        for queue in self._queues.values():
            await queue.close()
        self._queues.clear()
        await self.redis.aclose()

    # -- submit --------------------------------------------------------------------------
    def prepare(self, request: JobRequest, *, job_id: str | None = None, run: str | None = None,
                step: str | None = None, delay_ms: int | None = None, extra: dict | None = None) -> PreparedJob:
        """Check a request and build its job; nothing is enqueued (sync: it may resolve URL hosts).

        The checks every producer gets, whichever edge it came through: the task and its queue exist,
        the params fit the task's schema, the input count fits, URL inputs and `notify_url` pass the
        SSRF guard, artifact inputs exist. Each failure is BadInput naming the field.
        """
        try:
            spec = get_task(request.task)
        except NotFound as exc:  # an unknown task in a request is bad input, not a missing resource
            raise BadInput(exc.message, field="task") from None
        policy = self.settings.policy(spec.queue)
        spec.parse_params(request.params)  # the edge's one validation (the worker parses its own)
        limits = self.settings.limits
        if request.notify_url is not None:
            check_public_url(request.notify_url, limits, "notify_url")
        count = len(request.inputs)
        if count < spec.min_inputs:
            raise BadInput(f"task {spec.name} needs at least {spec.min_inputs} input(s), got {count}", field="inputs")
        if spec.max_inputs is not None and count > spec.max_inputs:
            raise BadInput(f"task {spec.name} takes at most {spec.max_inputs} input(s), got {count}", field="inputs")
        for ref in request.inputs:
            if ref.url:
                check_public_url(ref.url, limits, "inputs")
            elif not open_store(self.settings).exists(ref.artifact):
                named = f"no stored file has the key {ref.key!r}" if ref.key else f"artifact {ref.artifact!r} does not exist"
                raise BadInput(f"input {named}", field="inputs")
        options = policy.job_options()
        attempts = (self.settings.tasks.get(spec.name) and self.settings.tasks[spec.name].attempts) or spec.attempts
        if attempts:
            options["attempts"] = attempts
        if request.priority:
            options["priority"] = request.priority
        if delay_ms:
            options["delay"] = delay_ms
        job_id = job_id or new_job_id()
        options["jobId"] = job_id
        data = JobData(task=spec.name, params=request.params, inputs=request.inputs, run=run, step=step,
                       notify_url=request.notify_url)
        wire = data.model_dump(exclude_none=True)
        if extra:
            wire.update(extra)
        return PreparedJob(queue=spec.queue, job_id=job_id, data=wire, options=options)

    async def enqueue(self, job: PreparedJob) -> JobStatus:
        if self.settings.tracing:
            # Imported only with tracing on: the default path loads none of it.
            from mediamill.engine.tracing import submit_span

            with submit_span(job.queue, job.task, job.job_id, job.data):
                await self.queue(job.queue).add(job.task, job.data, job.options)
        else:
            await self.queue(job.queue).add(job.task, job.data, job.options)
        await self._replicated(job.job_id)
        return JobStatus(id=job.job_id, queue=job.queue, task=job.task, state=JobState.waiting,
                         params=job.data.get("params") or {}, max_attempts=job.options["attempts"],
                         run=job.data.get("run"))

    async def submit(self, request: JobRequest, **kw: Any) -> JobStatus:
        """prepare() then enqueue(), for the engine's own producers (webhook deliveries); producers
        outside the engine go through services.jobs.submit_job, which also records the job."""
        if request.notify_url or any(ref.url for ref in request.inputs):  # DNS off the event loop
            job = await asyncio.to_thread(self.prepare, request, **kw)
        else:
            job = self.prepare(request, **kw)
        return await self.enqueue(job)

    async def submit_bulk(self, requests: list[JobRequest | dict]) -> list[str]:
        """Submit many jobs: one round trip per queue (BullMQ addBulk)."""
        per_queue: dict[str, list[dict]] = {}
        ids = []
        for request in requests:
            job = self.prepare(JobRequest.parse(request))
            per_queue.setdefault(job.queue, []).append({"name": job.task, "data": job.data, "opts": job.options})
            ids.append(job.job_id)
        for queue, jobs in per_queue.items():
            await self.queue(queue).addBulk(jobs)
        await self._replicated(ids[0] if ids else "")
        return ids

    async def _replicated(self, job_id: str) -> None:
        """With `redis_wait_replicas`, return only once that many replicas hold what was just added.

        Redis replicates asynchronously: a primary that crashes right after acknowledging a job may
        not have sent it on, and the promoted replica never heard of it. WAIT counts replicas that
        acknowledged every write of its own connection, so a marker write goes first on the same
        connection (a pipeline): the replication stream is ordered, so it covers the job's add too.
        """
        wanted = self.settings.redis_wait_replicas
        if not wanted:
            return
        timeout_ms = self.settings.redis_wait_timeout_ms
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(f"{C.KEY_PREFIX}:replication-marker")
            pipe.execute_command("WAIT", wanted, timeout_ms)
            _, acked = await pipe.execute()
        if int(acked) < wanted:
            raise NotReplicated(f"job {job_id} is on the Redis primary but {acked} of {wanted} replica(s) confirmed "
                                f"it within {timeout_ms} ms (redis_wait_replicas): a failover now could lose it", field="redis")

    # -- read ----------------------------------------------------------------------------
    async def find_queue(self, job_id: str) -> str:
        names = list(self.settings.policies())
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.exists(f"{C.KEY_PREFIX}:{name}:{job_id}")
            found = await pipe.execute()
        for name, exists in zip(names, found, strict=True):
            if exists:
                return name
        raise NotFound(f"no job {job_id!r} (unknown, or removed by the retention policy)", field="job")

    async def get_job(self, job_id: str, queue: str | None = None) -> tuple[Job, str]:
        queue = queue or await self.find_queue(job_id)
        job = await self.queue(queue).getJob(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r} in queue {queue!r}", field="job")
        return job, queue

    async def status(self, job_id: str, queue: str | None = None) -> JobStatus:
        queue = queue or await self.find_queue(job_id)
        return (await self._read_status(job_id, queue))[0]

    async def _read_status(self, job_id: str, queue: str, stream: str | None = None) -> tuple[JobStatus, str | None]:
        """The job's status, and (with `stream`) the newest entry id of that stream read just before it.

        One pipelined round trip (it was four: a waiter paid them twice per result). State first,
        then the job hash: a job finishing in between reads as still active (the next read sees it
        done), never as completed without its result; Redis runs a pipeline's commands in order.
        """
        bull = self.queue(queue)
        scripts = bull.scripts
        keys = scripts.getKeys(STATE_KEYS)
        async with self.redis.pipeline(transaction=False) as pipe:
            if stream is not None:
                pipe.xrevrange(stream, count=1)
            # BullMQ's own getStateV2 (Redis >= 6.0.6), by its sha: a pipeline given the script object
            # would ask SCRIPT EXISTS first, one more round trip on every read.
            pipe.evalsha(scripts.commands["getStateV2"].sha, len(keys), *keys, job_id, scripts.toKey(job_id))
            pipe.exists(C.cancelled_key(job_id))
            pipe.hgetall(scripts.toKey(job_id))
            replies = await pipe.execute(raise_on_error=False)
        newest = position = None
        if stream is not None:
            newest, *replies = replies
            position = newest[0][0] if isinstance(newest, list) and newest else "0-0"
        state, cancelled, raw = replies
        if any(isinstance(reply, BaseException) for reply in (newest, state, cancelled, raw)):
            # The script not loaded yet (a fresh or restarted Redis), an older Redis, an error:
            # the step-by-step reads load the script, pick the variant and raise what is wrong.
            if stream is not None:
                position = await self._stream_end(stream)
            state = await bull.getJobState(job_id)
            cancelled = await self.redis.exists(C.cancelled_key(job_id))
            job, queue = await self.get_job(job_id, queue)
            return status_from_bull(job, queue, state, bool(cancelled)), position
        if not raw:
            raise NotFound(f"no job {job_id!r} in queue {queue!r}", field="job")
        return status_from_bull(Job.fromJSON(bull, raw, job_id), queue, state, bool(cancelled)), position

    async def wait(self, job_id: str, timeout: float | None = None, queue: str | None = None,
                   on_update=None) -> JobStatus:
        """Until the job finishes, woken by its events in the queue's BullMQ event stream.

        The stream carries every job's active/progress/completed/failed events, so a waiter wakes
        the moment its job moves (polling used to add up to its interval to every result). A status
        read at least every WAIT_RECHECK_S is the safety net for what the stream does not carry (a
        cancel mark) or no longer holds (trimmed past our position); every WAIT_RECHECK_ACTIVE_S while
        the job runs. Each waiter holds one pooled
        connection while it blocks; the API's event streams, which may have many watchers, poll
        instead (services/events.py).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        queue = queue or await self.find_queue(job_id)
        events = self.queue(queue).keys["events"]  # BullMQ's own name for the queue's event stream
        # The stream's end is read before the status, in the same round trip: an event after it is not missed.
        status, position = await self._read_status(job_id, queue, stream=events)
        while True:
            if on_update:
                on_update(status)
            if status.state.finished:
                return status
            window = WAIT_RECHECK_ACTIVE_S if status.state == JobState.active else WAIT_RECHECK_S
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimedOut(f"job {job_id} did not finish within {timeout} s (state: {status.state})")
                window = min(window, left)
            # A waiter that shows no progress sleeps through the job's start and progress events:
            # re-reading the status for them cost three round trips of every single job's result.
            position = await self._until_event(events, position, job_id, window,
                                               ignore=() if on_update else NOT_FINISHING_EVENTS)
            status = await self.status(job_id, queue)

    async def _stream_end(self, key: str) -> str:
        newest = await self.redis.xrevrange(key, count=1)
        return newest[0][0] if newest else "0-0"

    async def _until_event(self, key: str, position: str, job_id: str, window_s: float,
                           ignore: tuple[str, ...] = ()) -> str:
        """Read the stream from `position` until an event of `job_id` (other than those in `ignore`)
        or the window ends; returns the new position."""
        end = time.monotonic() + window_s
        while (left_ms := int((end - time.monotonic()) * 1000)) > 0:
            batches = await self.redis.xread({key: position}, count=500, block=left_ms)
            for _, entries in batches or ():
                for entry_id, fields in entries:
                    position = entry_id
                    if fields.get("jobId") == job_id and fields.get("event") not in ignore:
                        return position
            if not batches:
                break
        return position

    async def counts(self) -> dict[str, dict[str, int]]:
        result = {}
        for name in self.settings.policies():
            counts = await self.queue(name).getJobCounts(*COUNT_STATES)
            counts["waiting"] = counts.get("waiting", 0) + counts.pop("prioritized", 0)
            counts["paused"] = counts.get("paused", 0)
            counts["is_paused"] = int(await self.queue(name).isPaused())
            result[name] = counts
        return result

    # -- control -------------------------------------------------------------------------
    async def cancel(self, job_id: str) -> JobStatus:
        status = await self.status(job_id)
        if status.state.finished:
            raise Conflict(f"job {job_id} already {status.state.value}; nothing to cancel", field="job")
        # The mark makes a queued job fail at pick-up; the message stops it if it is running now.
        await mark_cancelled(self.redis, job_id)
        return await self.status(job_id, status.queue)

    async def retry(self, job_id: str, queue: str | None = None) -> JobStatus:
        """Retry a failed job; with `queue`, the job must be in that queue (NotFound otherwise)."""
        if queue is not None:
            self.settings.policy(queue)  # NotFound naming the known queues
        job, queue = await self.get_job(job_id, queue)
        state = await self.queue(queue).getJobState(job_id)
        if state != "failed":
            raise Conflict(f"job {job_id} is {state}; only failed jobs can be retried", field="job")
        await clear_cancelled(self.redis, job_id)
        await job.retry("failed")
        return await self.status(job_id, queue)

    async def retry_all_failed(self, queue: str) -> int:
        q = self.queue(queue)
        failed = await q.getJobCountByTypes("failed")
        if failed:
            await q.retryJobs({"state": "failed", "count": 1000})
        return failed

    async def remove(self, job_id: str, queue: str | None = None) -> None:
        """Delete a job that is not running from BullMQ (NotFound when BullMQ no longer has it)."""
        job, queue = await self.get_job(job_id, queue)
        state = await self.queue(queue).getJobState(job_id)
        if state == "active":
            raise Conflict(f"job {job_id} is running; cancel it before deleting it", field="job")
        await job.remove()
        await clear_cancelled(self.redis, job_id)

    async def trail(self, job_id: str, queue: str | None = None) -> tuple[list[str], list[str]]:
        """(log lines, failure tracebacks) BullMQ keeps for a job; NotFound once it is gone."""
        job, queue = await self.get_job(job_id, queue)
        logs = await self.queue(queue).getJobLogs(job_id)
        lines = logs.get("logs", []) if isinstance(logs, dict) else list(logs or [])
        return [str(line) for line in lines], [str(trace) for trace in (job.stacktrace or [])]

    async def schedulers(self, queue: str) -> list[dict]:
        return list(await self.queue(queue).getJobSchedulers() or [])

    async def pause(self, queue: str) -> None:
        await self.queue(queue).pause()

    async def resume(self, queue: str) -> None:
        await self.queue(queue).resume()
