"""A worker process: BullMQ workers for the selected queues, cancel messages, graceful shutdown."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bullmq import UnrecoverableError, Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mediamill import constants as C
from mediamill.engine import metrics
from mediamill.engine.broker import Broker, connection_retry
from mediamill.engine.bull_worker import BullWorker, worker_connection
from mediamill.engine.cancels import CancelWatch
from mediamill.engine.connection import redis_url
from mediamill.engine.jobs import format_failure
from mediamill.engine.memory_limits import uncovered_inline_tasks
from mediamill.engine.middleware import Middleware, run_hooks
from mediamill.engine.monitor import WorkerMonitor
from mediamill.engine.pool import ProcessPool
from mediamill.engine.redis_checks import check_redis
from mediamill.engine.redis_urls import redis_client
from mediamill.engine.runner import JobRunner
from mediamill.engine.schedules import ensure_schedules
from mediamill.engine.seed_jobs import seed_envelope
from mediamill.engine.task_server import select_queues
from mediamill.errors import BadInput
from mediamill.logs import get_logger
from mediamill.settings import Settings
from mediamill.tasks.registry import TaskInfo, task_infos, unavailable_families

if TYPE_CHECKING:
    from mediamill.engine.worker_http import WorkerHTTP

log = get_logger("mediamill.worker")

# Lock renewals per lock duration. BullMQ's Python lock manager ticks every lockRenewTime / 2 and
# renews a job once it is older than that, so with BullMQ's default (half the lock) a job's first
# renewal can come half a lock after its claim, while its worker is busiest (starting a task
# process; on a first job, the records writer opening its database). A worker held up by a loaded
# machine for half a lock lost a job it was still running. At a quarter lock it has three quarters
# (one script call renews all of a worker's active jobs).
LOCK_RENEWALS = 4
# The collector's generation thresholds in a worker process (Python's default: 700, 10, 10).
GC_THRESHOLDS = (10_000, 20, 20)


def lock_options(lock_duration_ms: int, stalled_interval_ms: int) -> dict[str, int]:
    return {"lockDuration": lock_duration_ms, "lockRenewTime": max(lock_duration_ms // LOCK_RENEWALS, 100),
            "stalledInterval": stalled_interval_ms}


def warn_unserved_queues(queues: list[str], tasks: Iterable[TaskInfo],
                         unavailable: Callable[[], dict[str, str]]) -> list[str]:
    """Say at start which served queues have no task this process can run (a family failed to import).

    `tasks` is metadata (no task module is imported for it); only when a queue is idle are the
    families imported to find the ones that fail (`unavailable`).
    """
    served = {info.queue for info in tasks}
    idle = [queue for queue in queues if queue not in served]
    failed = unavailable() if idle else {}
    for queue in idle:
        if failed:
            log.error("queue has no available task: its task families may be among the unavailable ones",
                      queue=queue, unavailable=failed)
        else:
            log.warning("queue has no registered task", queue=queue)
    return idle


class WorkerService:
    def __init__(self, settings: Settings, queues: list[str] | None, middleware: list[Middleware]) -> None:
        """`middleware` comes from the composition root (`mediamill.serve.build_worker`)."""
        self.settings = settings
        self.queues = select_queues(settings, queues)
        self.hooks = middleware
        self.pool = ProcessPool(settings)
        self.workers: dict[str, Worker] = {}
        self.stopping = asyncio.Event()
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.http: WorkerHTTP | None = None
        self._gc_thresholds = gc.get_threshold()

    async def start(self) -> None:
        infos = task_infos().values()
        uncovered_inline_tasks(self.settings, self.queues, infos)
        warn_unserved_queues(self.queues, infos, unavailable_families)
        self.pool.warm_up(self.queues)  # first: the task processes start while the rest comes up
        metrics.enable(self.settings)  # before the first job is counted
        url = redis_url(self.settings)
        self.redis = redis_client(url, decode_responses=True, retry=connection_retry(),
                                  retry_on_error=[RedisConnectionError, RedisTimeoutError])
        await check_redis(self.redis, where="worker")
        self.runner = JobRunner(self.settings, self.redis, self.pool, self.hooks)
        # Hooks first: a BullMQ worker takes jobs as soon as it exists, and a hook that is not ready
        # yet (the records writer opening its database) would silently miss them.
        await run_hooks(self.hooks, "on_worker_start", self)
        self.cancels = CancelWatch(self.redis, self._cancel_active)
        await self.cancels.start()
        self.runner.cancels = self.cancels
        for name in self.queues:
            policy = self.settings.policy(name)
            opts = {
                "connection": worker_connection(url),
                "prefix": C.KEY_PREFIX,
                "concurrency": policy.concurrency,
                **lock_options(policy.lock_duration_ms, policy.stalled_interval_ms),
                "maxStalledCount": policy.max_stalls,
                "name": self.name,
            }
            if self.settings.queue_metrics_minutes:
                # BullMQ then counts completed and failed jobs per minute itself (bull:<q>:metrics:*).
                opts["metrics"] = {"maxDataPoints": self.settings.queue_metrics_minutes}
            if policy.rate_limit:
                # The limiter key lives in Redis: the limit holds across every worker process.
                opts["limiter"] = {"max": policy.rate_limit.max, "duration": policy.rate_limit.duration_ms}
            worker = BullWorker(name, self.runner.for_queue(name), opts)
            worker.on_attempt_end = self.runner.attempt_end
            worker.on("error", lambda err, *_, q=name: log.warning("bullmq worker error", queue=q, error=str(err)))
            self.workers[name] = worker
        self._start_seed_workers(url)
        self.monitor = WorkerMonitor(self.settings, self.redis, self.queues, lambda: len(self.runner.active),
                                     self.pool.child_pids)
        await self.monitor.start()
        if self.settings.metrics_port is not None:
            from mediamill.engine.worker_http import WorkerHTTP  # uvicorn: only for --metrics-port

            self.http = WorkerHTTP(self.settings, self.monitor, self.redis)
            await self.http.start()
        if "cleanup" in self.queues:
            await self._ensure_schedules()
        # Everything alive now (modules, hooks, connections) lives as long as the worker: moving it
        # out of the collector's generations keeps each full collection from walking it again.
        gc.freeze()
        # A job's objects live for one job; at concurrency 50 a young collection every 700 allocations
        # found the in-flight ones alive, walked them and moved them up a generation to be walked
        # again: 9-13 us of GC per no-op job, 1-2 us with young collections every 10,000 (measured
        # with gc.callbacks while draining). Cyclic garbage waits a little longer; memory is the same.
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        log.info("worker started", queues=self.queues, pid=os.getpid())

    def _start_seed_workers(self, url: str) -> None:
        """A worker on each seed queue name (its own prefix) mapped onto a queue this process serves."""
        for seed_name, seed in self.settings.seed_queues.items():
            if seed.queue not in self.queues:
                continue
            policy = self.settings.policy(seed.queue)
            run = self.runner.for_queue(seed.queue)

            async def process(job, token, seed_name=seed_name, seed=seed, run=run):
                try:
                    job.data = seed_envelope(seed_name, seed, job.name, job.data, self.runner.store.exists)
                except BadInput as exc:  # no retry can fix it: fail at once, as the runner does
                    raise UnrecoverableError(format_failure(exc)) from exc
                return await run(job, token)

            opts = {"connection": worker_connection(url), "prefix": seed.prefix,
                    "concurrency": policy.concurrency,
                    **lock_options(policy.lock_duration_ms, policy.stalled_interval_ms),
                    "maxStalledCount": 1, "name": self.name}
            if self.settings.queue_metrics_minutes:
                opts["metrics"] = {"maxDataPoints": self.settings.queue_metrics_minutes}
            worker = BullWorker(seed_name, process, opts)
            worker.on_attempt_end = self.runner.attempt_end
            worker.on("error", lambda err, *_, q=seed_name: log.warning("bullmq worker error", queue=q, error=str(err)))
            self.workers[f"{seed.prefix}:{seed_name}"] = worker

    async def _ensure_schedules(self) -> None:
        """Whoever serves the cleanup queue makes sure the hourly cleanup is scheduled (idempotent)."""
        broker = Broker(self.settings)
        try:
            await ensure_schedules(broker)
        finally:
            await broker.close()

    def _cancel_active(self, job_id: str) -> None:
        if self.runner.cancel(job_id):
            log.info("cancelling active job", job_id=job_id)

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop taking jobs; let active ones finish within the grace period; hand back the rest."""
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        log.info("worker stopping", active=len(self.runner.active), grace_s=grace)
        # Off the list first: a stopping worker takes no new jobs, so it no longer serves its queues.
        await self.monitor.stop()
        closing = asyncio.ensure_future(asyncio.gather(*(w.close() for w in self.workers.values())))
        done, _ = await asyncio.wait({closing}, timeout=grace)
        if not done:
            cut = self.runner.cut_off_all()
            log.warning("grace period over; active jobs go back to the queue", jobs=cut)
            await closing
        await self.cancels.stop()
        await run_hooks(self.hooks, "on_worker_stop", self)
        await asyncio.get_running_loop().run_in_executor(None, self.pool.close)
        if self.http is not None:
            await self.http.stop()
        await self.redis.aclose()
        gc.set_threshold(*self._gc_thresholds)
        log.info("worker stopped")

    async def serve_forever(self) -> None:
        """Run until SIGTERM or SIGINT, then stop gracefully."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        await self.start()
        await self.stopping.wait()
        await self.stop()
