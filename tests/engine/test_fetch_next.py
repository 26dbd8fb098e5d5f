"""How a worker claims jobs: a slot goes on with the job its completion claimed (BullMQ's
fetch-next) without losing what pause and close mean, and an idle worker claims one at a time."""

from __future__ import annotations

import asyncio

import pytest
from helpers import until
from tasks_for_tests import QUEUE

JOBS = 30


def count_claims(service) -> list[int]:
    """Wrap the worker's separate claim call (moveToActive) with a counter."""
    backend = service.workers[QUEUE].backend
    calls = [0]
    original = backend.moveToActive

    async def counted(*args, **kwargs):
        calls[0] += 1
        return await original(*args, **kwargs)

    backend.moveToActive = counted
    return calls


@pytest.mark.engine_settings(queue={"concurrency": 1})
async def test_a_backlog_is_drained_through_completions_in_order(client, worker):
    queue = client.broker.queue(QUEUE)
    await queue.pause()
    ids = await client.broker.submit_bulk([{"task": "enginetest.noop"} for _ in range(JOBS)])
    async with worker([QUEUE]) as service:
        claims = count_claims(service)
        await queue.resume()
        results = [await client.job(job_id).result(timeout=30) for job_id in ids]
        assert results == [{"ok": True}] * JOBS
        # One claim starts the slot (plus one that finds the queue empty at the end); the other 29
        # jobs came back from the completions themselves. Without fetch-next this is 31.
        assert claims[0] <= 3, claims
    finished = [(await client.job(job_id).status()) for job_id in ids]
    assert all(status.attempts == 1 and status.state == "completed" for status in finished)
    order = sorted(range(JOBS), key=lambda index: finished[index].finished_at)
    assert order == list(range(JOBS)), "concurrency 1 runs a backlog first in, first out"


@pytest.mark.engine_settings(queue={"concurrency": 1})
async def test_pausing_the_queue_ends_the_chain(client, worker, tmp_path):
    log = tmp_path / "events.log"
    queue = client.broker.queue(QUEUE)
    ids = await client.broker.submit_bulk(
        [{"task": "enginetest.work_thread", "params": {"log": str(log), "seconds": 0.2}} for _ in range(10)])
    async with worker([QUEUE]):
        await until(lambda: log.exists() and "done" in log.read_text(), what="a first job done")
        await queue.pause()
        # The job active at the pause finishes; its completion must not claim another.
        await until(lambda: log.read_text().count("done") == log.read_text().count("start"), what="the active job")
        started = log.read_text().count("start")
        # Its completion reaches Redis a moment after its task logged "done" (completions go in batches);
        # had that completion claimed another job, the count below would pass `started`.
        counts = await queue.getJobCounts("completed", "waiting", "paused", "active")
        for _ in range(300):
            if counts["active"] == 0:
                break
            await asyncio.sleep(0.05)
            counts = await queue.getJobCounts("completed", "waiting", "paused", "active")
        assert counts["active"] == 0 and counts["completed"] == started < 10, counts
        assert log.read_text().count("start") == started
        await queue.resume()
        for job_id in ids:
            await client.job(job_id).result(timeout=30)
    assert log.read_text().count("start") == 10, "each job ran once"


async def test_a_claimed_job_is_not_lost_when_the_worker_stops(client, worker):
    ids = await client.broker.submit_bulk([{"task": "enginetest.noop"} for _ in range(200)])
    async with worker([QUEUE]):
        await until(lambda: True)
    # Whatever the stopped worker had claimed went back or was finished; a new worker ends the rest.
    async with worker([QUEUE]):
        for job_id in ids:
            assert await client.job(job_id).result(timeout=30) == {"ok": True}


@pytest.mark.engine_settings(queue={"concurrency": 50})
async def test_an_idle_worker_claims_one_job_at_a_time(client, worker):
    # The stock Python worker starts a claim for every free slot at once: on an idle queue each new
    # job set off ~50 claims that came back empty, queued ahead of the job's own completion.
    async with worker([QUEUE]) as service:
        claims = count_claims(service)
        for _ in range(10):
            handle = await client.submit("enginetest.noop")
            assert await handle.result(timeout=30) == {"ok": True}
        # Per job: the claim that takes it, one that finds the queue empty (then a blocking wait).
        assert claims[0] <= 3 * 10, claims
