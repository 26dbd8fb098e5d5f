"""Worker heartbeats, the health table and its log event, stalled/removed events: real worker processes."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest
from helpers import until, until_event
from tasks_for_tests import QUEUE

from mediamill.engine.health import health_snapshot
from mediamill.engine.heartbeats import read_workers
from mediamill.engine.wire import JobRequest

FAST = {"HEARTBEAT_INTERVAL_S": "0.5"}


def row(snapshot, name):
    return next(r for r in snapshot.queues if r.name == name)


async def test_workers_online_and_the_no_worker_flag(client, worker_process, tmp_path):
    broker = client.broker
    # Given a job waiting on a queue nobody serves: flagged
    await client.submit("enginetest.work", {"log": str(tmp_path / "e.log")})
    before = await health_snapshot(broker)
    assert row(before, QUEUE).workers == 0
    assert row(before, QUEUE).no_workers and before.flagged == [QUEUE]

    # When two worker processes serve the queue
    first = worker_process(ready=False, **FAST).wait_ready(180)  # starts are slow on a busy machine
    second = worker_process(ready=False, **FAST).wait_ready(180)
    await until_event(tmp_path / "e.log", "done", timeout=180)
    during = await health_snapshot(broker)
    # Then both count as online for that queue only, and the flag is gone
    assert row(during, QUEUE).workers == 2 and not row(during, QUEUE).no_workers
    assert all(r.workers == 0 for r in during.queues if r.name != QUEUE)
    records = {w.pid: w for w in await read_workers(broker.redis)}
    assert set(records) == {first.pid, second.pid}
    assert records[first.pid].queues == [QUEUE] and records[first.pid].beat >= records[first.pid].started

    # A clean stop leaves the list at once
    first.stop()
    assert [w.pid for w in await read_workers(broker.redis)] == [second.pid]
    # A killed worker leaves it when its record expires (three missed beats)
    second.signal(signal.SIGKILL)
    second.wait(10)
    await until_async(lambda: read_workers(broker.redis), lambda workers: workers == [], 10)


async def until_async(read, check, timeout):
    """Until `check(await read())` holds (state read from Redis, polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check(await read()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_health_table_is_logged_as_one_event_per_interval(client, worker_process, tmp_path):
    worker = worker_process(HEALTH_LOG_INTERVAL_S="0.5", ready=False, **FAST).wait_ready(180)

    def events():
        lines = [json.loads(line) for line in worker.log_path.read_text().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == "queue health"]

    await until(lambda: len(events()) >= 2, 20, "two health events")
    found = events()
    table = found[-1]["queues"]
    assert table[QUEUE]["workers"] == 1
    assert set(table[QUEUE]) >= {"waiting", "active", "completed", "failed", "delayed", "paused", "workers"}
    assert found[-1]["no_workers"] == [] and found[-1]["workers_online"] == 1


@pytest.mark.slow
async def test_stalled_and_removed_jobs_are_logged_and_counted_once(client, worker_process, tmp_path):
    fast_stall = {"QUEUES__ENGINETEST__LOCK_DURATION_MS": "2000", "QUEUES__ENGINETEST__STALLED_INTERVAL_MS": "1000",
                  "QUEUES__ENGINETEST__CONCURRENCY": "1", **FAST}
    log = tmp_path / "events.log"
    # Two readers-to-be: only one of them may log and count each event
    watcher = worker_process(["enginetest"], ready=False, **fast_stall).wait_ready(180)
    doomed = worker_process(ready=False, **fast_stall).wait_ready(180)
    # Given one job running on each worker (concurrency 1)
    handles = [await client.submit("enginetest.work", {"log": str(log), "seconds": 4}) for _ in range(2)]
    await until_event(log, "start", count=2)
    # When one worker dies mid-job: its job stalls and the other worker recovers it
    doomed.signal(signal.SIGKILL)
    doomed.wait(10)
    for handle in handles:
        await handle.result(timeout=180)

    # And a delayed job is removed
    delayed = client.broker.prepare(JobRequest.parse({"task": "enginetest.work", "params": {"log": str(log)}}),
                                    delay_ms=60_000)
    await client.broker.enqueue(delayed)
    job, _ = await client.broker.get_job(delayed.job_id)
    await job.remove()

    async def counts():
        return row(await health_snapshot(client.broker), QUEUE)

    await until_async(counts, lambda r: r.stalled >= 1 and r.removed == 1, 30)
    final = await counts()
    text = watcher.log_path.read_text()
    assert text.count('"job stalled"') == final.stalled
    assert '"job removed"' in text
