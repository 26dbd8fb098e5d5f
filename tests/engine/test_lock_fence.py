"""A worker whose job was taken over by another (its lock lost, as after a network partition) records nothing.

The multi-host test (tests/cluster) cuts a real cable; this is the same situation on one machine: the
job's lock is handed to another owner while the first worker runs it.
"""

from __future__ import annotations

import asyncio

import redis
from helpers import read_events, until, until_event

from mediamill import constants as C
from mediamill.db import open_database
from mediamill.db.repositories import jobs as job_records
from mediamill.engine.connection import redis_url
from mediamill.storage import open_store
from mediamill.storage.artifact import artifact_id_for_key
from mediamill.tasks.context import JobInfo, TaskContext


async def test_an_attempt_whose_lock_was_taken_over_leaves_the_record_alone(client, worker_process, settings, tmp_path):
    log = tmp_path / "events.log"
    worker = worker_process(QUEUES__ENGINETEST__LOCK_DURATION_MS="2000", QUEUES__ENGINETEST__STALLED_INTERVAL_MS="60000")
    handle = await client.submit("enginetest.work", {"log": str(log), "seconds": 4})
    await until_event(log, "start")
    # Another worker owns the job now (what the stalled-job check does once the first one's lock expired)
    server = redis.Redis.from_url(redis_url(settings))
    try:
        server.set(f"{C.KEY_PREFIX}:enginetest:{handle.id}:lock", "another-workers-token", px=120_000)
        await until_event(log, "done", timeout=60)
        # The attempt's end: either the fence ("job lock lost") or the middleware's "job completed"
        ended = await until(lambda: _attempt_end(worker.log_path.read_text(), handle.id), 60, "the attempt's end")
    finally:
        server.close()
    assert ended == "job lock lost"
    # The first worker's late result went nowhere: BullMQ still has the job active, the record says active
    status = await handle.status()
    assert status.state == "active", status
    # The worker's records writer batches its rows and opens its database only after the first job
    # has run a while, so under load the start row may still be on its way: wait for the writer to
    # catch up, then the row must say what the new owner's attempt is doing, never completed.
    record = await until(lambda: _written_record(settings, handle.id), 30, "the job's start row written")
    assert record.state == "active" and record.result is None, record


def _written_record(settings, job_id: str):
    with open_database(settings).session() as session:
        record = job_records.get(session, job_id)
    return record if record is not None and record.state != "queued" else None


def _attempt_end(log: str, job_id: str) -> str | None:
    for line in log.splitlines():
        if job_id in line:
            for event in ("job lock lost", "job completed"):
                if event in line:
                    return event
    return None


async def test_the_taken_over_attempts_late_file_never_replaces_the_new_owners(worker_process, client, settings, tmp_path):
    """The order is forced: the new owner stores its file first, the cut-off attempt stores its own after."""
    log, release = tmp_path / "events.log", tmp_path / "release"
    worker = worker_process(QUEUES__ENGINETEST__LOCK_DURATION_MS="2000", QUEUES__ENGINETEST__STALLED_INTERVAL_MS="60000")
    handle = await client.submit("enginetest.output", {"log": str(log), "seconds": 60, "release": str(release)})
    await until_event(log, "start")
    server = redis.Redis.from_url(redis_url(settings))
    store = open_store(settings)
    try:
        server.set(f"{C.KEY_PREFIX}:enginetest:{handle.id}:lock", "another-workers-token", px=120_000)
        # The new owner's attempt stores its output (as worker-2 does in the multi-host test) ...
        info = JobInfo(job_id=handle.id, task="enginetest.output", queue="enginetest", claim="another-workers-token")
        owner = TaskContext(job=info, store=store, scratch=tmp_path / "owner").put(b"made by the new owner\n",
                                                                                   name="made-by.txt")
        await asyncio.sleep(1.2)  # past half the lock: the fence asks Redis (younger attempts skip it)
        release.touch()  # ... then the cut-off one finishes and stores its own.
        late_put = await until_event(log, "done")
        ended = await until(lambda: _attempt_end(worker.log_path.read_text(), handle.id), 60, "the attempt's end")
    finally:
        server.close()
    assert late_put and ended == "job lock lost"
    late_id = next(row[0].removeprefix("put:") for row in read_events(log) if row[0].startswith("put:"))
    assert late_id != owner.id
    assert late_id != artifact_id_for_key(f"//{handle.id}/made-by.txt")  # the worker put it under its claim
    assert store.open(owner.id).read() == b"made by the new owner\n"
    assert store.stat(owner.id).sha256 == owner.sha256
    # The fence deletes the lost attempt's file after it logs "job lock lost" (in a thread): wait for it.
    assert await until(lambda: not store.exists(late_id), 30, "the lost attempt's file deleted")
    assert [a.id for a in store.iter_artifacts() if a.job == handle.id] == [owner.id]
