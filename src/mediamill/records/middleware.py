"""RecordsMiddleware: each job's state, progress, attempts, result and error go to the jobs table.

Writes go through a RecordWriter (batched in a thread), so recording costs the job loop a dict update.
A job submitted by another producer (Python client, Node) gets its row on first sight here.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

from mediamill.engine.jobs import _ts, format_failure, parse_failure
from mediamill.engine.middleware import Middleware, RunningJob
from mediamill.errors import Cancelled
from mediamill.logs import get_logger
from mediamill.records.results import artifacts_in
from mediamill.records.writer import RecordWriter
from mediamill.settings import Settings

log = get_logger("mediamill.records")


def _now() -> datetime:
    return datetime.now(UTC)


def identity(job: RunningJob) -> dict:
    """Columns written only when the row is created (ignored by updates)."""
    data = job.data
    return {
        "queue": job.info.queue, "task": job.info.task, "run": data.run, "step": data.step,
        "params": data.params, "inputs": [ref.model_dump(exclude_none=True) for ref in data.inputs] if data.inputs else [],
        "notify_url": data.notify_url, "created_at": _ts(job.bull_job.timestamp) or _now(),
    }


# When a worker's records writer opens its database: this long after its first job ends, or once that
# job has run this long, or this long after the worker starts if no job comes.
RECORDS_OPEN_DELAY_S = 0.2
RECORDS_OPEN_LONG_JOB_S = 1.0
RECORDS_OPEN_WAIT_S = 5.0


class RecordsMiddleware(Middleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.writer: RecordWriter | None = None
        self._writer_may_open = threading.Event()
        self._open_scheduled = {"start": False, "end": False}
        self._sweeper: asyncio.Task | None = None

    async def on_worker_start(self, worker: Any) -> None:
        # The writer's thread opens the database (SQLAlchemy's import and the migration to head: the
        # larger part of a worker's start) just after the worker's first job is done, or once it has
        # run RECORDS_OPEN_LONG_JOB_S, or RECORDS_OPEN_WAIT_S after the start without a job: opened at
        # once, its imports took the CPU and the GIL from that first job (0.35 CPU-s, more than the
        # rest of the job's path). The rows of the first jobs wait in the writer until it is open. The
        # hook is ready at once: nothing a job writes is missed.
        self._writer_may_open = threading.Event()
        self._open_scheduled = {"start": False, "end": False}
        self.writer = RecordWriter(opener=self._open, open_after=self._writer_may_open,
                                   open_wait_s=RECORDS_OPEN_WAIT_S)
        self.writer.start()
        redis = getattr(worker, "redis", None)
        if self.settings.records_reconcile_s > 0 and redis is not None:
            self._sweeper = asyncio.ensure_future(self._reconcile(redis, getattr(worker, "name", "worker")))

    async def _reconcile(self, redis: Any, holder: str) -> None:
        """Once the writer's database is open and then every `records_reconcile_s`: if this worker holds
        the sweep lock, finish the records killed workers left unfinished (records/reconcile.py)."""
        from mediamill.records import reconcile

        interval = self.settings.records_reconcile_s
        cursor = None
        while self.writer is not None and self.writer.database is None:
            await asyncio.sleep(0.5)
        while self.writer is not None:
            try:
                if await reconcile.claim_sweep(redis, interval, holder):
                    done = await reconcile.sweep(redis, self.writer.database, self.settings,
                                                 grace_s=reconcile.GRACE_S, after=cursor)
                    cursor = done.cursor
                    if done.fixed:
                        log.warning("finished job records a stopped worker left unfinished", completed=done.completed,
                                    failed=done.failed, unknown=done.unknown, jobs=done.fixed[:20])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a sweep is retried next interval; jobs are unaffected
                log.warning("records sweep failed; tried again later", error=str(exc))
            await asyncio.sleep(interval)

    async def open_now(self) -> None:
        """Open the database now rather than after the first job, and return once it is open (a bench
        that times only draining; a real worker has no reason to)."""
        self._writer_may_open.set()
        while self.writer is not None and self.writer.database is None:
            await asyncio.sleep(0.05)

    def _open(self):
        from mediamill.db import open_database

        return open_database(self.settings)

    async def on_worker_stop(self, worker: Any) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self.writer is not None:
            await asyncio.to_thread(self.writer.stop)
            self.writer = None

    def _write(self, job: RunningJob, **fields: Any) -> None:
        # `attempts` rides on every write: the upsert ignores writes about an older attempt.
        if self.writer is not None:
            fields["attempts"] = job.info.attempt
            self.writer.merge(job.info.job_id, fields)

    def _open_writer_in(self, when: str, delay_s: float) -> None:
        if not self._open_scheduled[when]:
            self._open_scheduled[when] = True
            asyncio.get_running_loop().call_later(delay_s, self._writer_may_open.set)

    async def before_job(self, job: RunningJob) -> None:
        # A long first job does not keep its rows from the database for longer than this.
        self._open_writer_in("start", RECORDS_OPEN_LONG_JOB_S)
        # The identity columns create the row when this worker is the first to see the job (the
        # writer merges later writes of the job into this pending row, so they go out together).
        # One dict built in place (no keyword repacking): this runs for every job.
        writer = self.writer
        if writer is None:
            return
        row = identity(job)
        row["attempts"] = job.info.attempt
        row["max_attempts"] = job.max_attempts
        row["state"] = "active"
        row["progress"] = 0.0
        row["current_step"] = None
        row["started_at"] = _now()
        row["finished_at"] = None
        writer.merge(job.info.job_id, row)

    async def on_progress(self, job: RunningJob, percent: float, step: str | None) -> None:
        self._write(job, progress=float(percent), current_step=step)

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        # After this job's completion has gone to Redis (it goes once this hook returns).
        self._open_writer_in("end", RECORDS_OPEN_DELAY_S)
        if error is None:
            writer = self.writer
            if writer is None:
                return
            writer.merge(job.info.job_id, {"attempts": job.info.attempt, "state": "completed", "progress": 100.0,
                                           "result": result, "error": None, "finished_at": _now()})
            made = artifacts_in(result, job.info.job_id)
            if made:
                writer.artifacts(made)
            return
        failure = parse_failure(format_failure(error))
        details = failure.model_dump() if failure else {"type": type(error).__name__, "message": str(error)}
        if not job.final:
            self._write(job, state="delayed", error=details)
            return
        state = "cancelled" if isinstance(error, Cancelled) or details.get("type") == "Cancelled" else "failed"
        self._write(job, state=state, error=details, finished_at=_now())
