"""Job use cases: submit (and record), read (live BullMQ state merged with the record), cancel, retry, list."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from mediamill.constants import FINAL_STATES
from mediamill.db.models.jobs import JobRecord
from mediamill.db.repositories import jobs as job_records
from mediamill.engine.jobs import JobState, JobStatus
from mediamill.engine.seed_jobs import BULLMQ_DEFAULT_NAME, seed_envelope
from mediamill.engine.wire import JobRequest
from mediamill.errors import Conflict, NotFound
from mediamill.services.context import Services
from mediamill.services.links import with_download_links

# BullMQ's names for "not picked up yet" all read as "queued" outside the engine.
_PUBLIC_STATE = {JobState.waiting: "queued", JobState.prioritized: "queued"}


def public_state(state: JobState | str) -> str:
    state = JobState(state) if state in JobState._value2member_map_ else state
    return _PUBLIC_STATE.get(state, str(getattr(state, "value", state)))


async def submit_job(services: Services, request: JobRequest | dict) -> dict:
    """The one way in for a job, whichever edge it comes from (HTTP, CLI, Python client).

    Checks it (Broker.prepare: task, params, inputs, SSRF guard), enqueues it and records it
    (state queued); returns the job's view. A bad request raises BadInput before anything exists.
    """
    request = JobRequest.parse(request)
    if request.inputs or request.notify_url is not None:
        # A URL check may resolve hosts, an input check may ask the store: off the event loop.
        job = await asyncio.to_thread(services.broker.prepare, request)
    else:
        # Nothing to resolve or look up: the thread hop was a third of a single job's submit.
        job = services.broker.prepare(request)
    status = await services.broker.enqueue(job)
    # Batched: the row lands within ~150 ms; a worker that sees the job first creates it instead.
    services.records.created(job.record())
    return _view_from_status(services, status, None)


async def submit_seed_job(services: Services, queue: str, data: Any, name: str = BULLMQ_DEFAULT_NAME) -> dict:
    """A seed producer's `queue.add(name, data)` sent over HTTP instead: the seed's job data as written,
    read by the same translation as a raw BullMQ job on the seed's queue (engine.seed_jobs), then
    submitted the one way. The app's own fields (`keep_fields`) are the caller's: they are not kept."""
    seed = services.settings.seed_queues.get(queue)
    if seed is None:
        known = ", ".join(sorted(services.settings.seed_queues)) or "none configured"
        raise NotFound(f"no seed queue {queue!r} ([seed_queues] in the settings: {known})", field="queue")
    envelope = await asyncio.to_thread(seed_envelope, queue, seed, name, data, services.store.exists)
    return await submit_job(services, {key: envelope[key] for key in ("task", "params", "inputs") if key in envelope})


def _load_record(services: Services, job_id: str) -> JobRecord | None:
    with services.database.session() as session:
        return job_records.get(session, job_id)


async def get_job(services: Services, job_id: str) -> dict:
    """The live BullMQ status when BullMQ still has the job, completed by the record; else the record."""
    _check_id(job_id)
    record = await asyncio.to_thread(_load_record, services, job_id)
    try:
        status = await services.broker.status(job_id, record.queue if record else None)
        if status.state == JobState.completed and status.result is None:
            # Broker.status reads the job, then its state: a job finishing in between reads as
            # completed without its result. Read it again (the result is there now).
            status = await services.broker.status(job_id, status.queue)
    except NotFound:
        status = None
    if status is None and record is None:
        raise NotFound(f"no job {job_id!r} (unknown, or removed by the retention policy)", field="job")
    if status is None:
        return view_from_record(services, record)
    view = _view_from_status(services, status, record)
    if record is None:  # not flushed yet (records are batched): the job's own data has the inputs
        data = await _job_data(services, job_id, status.queue)
        view["inputs"], view["notify_url"] = data.get("inputs") or [], data.get("notify_url")
    return view


async def _job_data(services: Services, job_id: str, queue: str) -> dict:
    try:
        job, _ = await services.broker.get_job(job_id, queue)
    except NotFound:
        return {}
    return job.data if isinstance(job.data, dict) else {}


def _check_id(job_id: str) -> None:
    if not job_id or len(job_id) > 128 or not job_id.replace("_", "").replace("-", "").isalnum():
        raise NotFound(f"no job {job_id[:80]!r}", field="job")


def _links(services: Services, job_id: str) -> dict:
    base = f"{services.settings.base_url}/v1/jobs/{job_id}"
    return {"self": base, "events": f"{base}/events"}


def _view_from_status(services: Services, status: JobStatus, record: JobRecord | None) -> dict:
    return {
        "id": status.id, "task": status.task, "queue": status.queue, "status": public_state(status.state),
        "progress": status.progress, "step": status.step, "attempts": status.attempts,
        "max_attempts": status.max_attempts, "params": status.params,
        "inputs": record.inputs if record else [], "notify_url": record.notify_url if record else None,
        "result": with_download_links(services.settings, status.result),
        "error": status.error.model_dump() if status.error else None, "run": status.run,
        "created_at": status.created_at or (record.created_at if record else None),
        "started_at": status.started_at, "finished_at": status.finished_at,
        "links": _links(services, status.id),
    }


def view_from_record(services: Services, record: JobRecord) -> dict:
    return {
        "id": record.id, "task": record.task, "queue": record.queue, "status": record.state,
        "progress": record.progress, "step": record.current_step, "attempts": record.attempts,
        "max_attempts": record.max_attempts, "params": record.params, "inputs": record.inputs,
        "notify_url": record.notify_url, "result": with_download_links(services.settings, record.result),
        "error": record.error, "run": record.run, "created_at": record.created_at,
        "started_at": record.started_at, "finished_at": record.finished_at, "links": _links(services, record.id),
    }


async def cancel_job(services: Services, job_id: str) -> dict:
    """Cancel a queued, delayed or running job (a running one stops at its next check)."""
    _check_id(job_id)
    try:
        status = await services.broker.cancel(job_id)
    except NotFound:
        record = await asyncio.to_thread(_load_record, services, job_id)
        if record is None:
            raise
        raise Conflict(f"job {job_id} already {record.state}; nothing to cancel", field="job") from None
    if status.state != JobState.active:
        await asyncio.to_thread(_set, services, job_id, state="cancelled", finished_at=datetime.now(UTC))
    return await get_job(services, job_id)


async def retry_job(services: Services, job_id: str) -> dict:
    """Run a failed (or cancelled) job again."""
    _check_id(job_id)
    await services.broker.retry(job_id)
    await asyncio.to_thread(_set, services, job_id, state="queued", error=None, finished_at=None, progress=0.0)
    return await get_job(services, job_id)


def _set(services: Services, job_id: str, **fields: Any) -> None:
    with services.database.session() as session:
        job_records.set_fields(session, job_id, **fields)


def list_jobs(services: Services, *, state: str | None = None, task: str | None = None, run: str | None = None,
              limit: int = 50, before: str | None = None) -> list[dict]:
    """Recent jobs from the records, newest first (a sync function: call it from a thread)."""
    with services.database.session() as session:
        records = job_records.list_recent(session, state=state, task=task, run=run, limit=limit, before=before)
        return [view_from_record(services, record) for record in records]


def is_final(status: str) -> bool:
    return status in FINAL_STATES


async def job_trail(services: Services, job_id: str) -> dict:
    """The log lines and failure tracebacks BullMQ keeps for a job (empty once retention removed it)."""
    _check_id(job_id)
    try:
        logs, traces = await services.broker.trail(job_id)
    except NotFound:
        logs, traces = [], []
    return {"logs": logs, "tracebacks": traces}
