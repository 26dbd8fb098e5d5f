"""Completions sent several to a round trip (engine/script_batch.py): each caller gets its own reply,
in call order, errors stay with their own call, a flushed script cache is reloaded, and a worker
at concurrency 50 completes every job exactly once through batched `moveToFinished` calls."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
import redis.asyncio as aioredis
from helpers import read_events, until_event
from redis.exceptions import ConnectionError, ResponseError
from tasks_for_tests import QUEUE

from mediamill.engine.connection import redis_url
from mediamill.engine.script_batch import ScriptBatch

# Appends ARGV[1] to a list and returns its new length; fails on "bad" (a script error of one call).
APPEND = """
if ARGV[1] == 'bad' then return redis.error_reply('ERR bad item') end
return redis.call('RPUSH', KEYS[1], ARGV[1])
"""


@pytest.fixture
async def redis_client(settings):
    client = aioredis.from_url(redis_url(settings), decode_responses=True)
    yield client
    await client.aclose()


async def test_calls_made_together_share_a_round_trip_and_keep_their_order(redis_client):
    batch = ScriptBatch(redis_client, redis_client.register_script(APPEND))
    replies = await asyncio.gather(*(batch(["list"], [f"item{i}"]) for i in range(200)))
    assert replies == list(range(1, 201)), "each caller gets its own reply, in call order"
    assert await redis_client.lrange("list", 0, -1) == [f"item{i}" for i in range(200)], "each call ran once"
    assert batch.batched_calls >= 100 and batch.pipelines < 200, (batch.pipelines, batch.batched_calls)


async def test_a_failing_call_fails_alone(redis_client):
    batch = ScriptBatch(redis_client, redis_client.register_script(APPEND))
    replies = await asyncio.gather(*(batch(["list"], ["bad" if i == 5 else str(i)]) for i in range(10)),
                                   return_exceptions=True)
    assert isinstance(replies[5], ResponseError) and "bad item" in str(replies[5])
    assert [r for i, r in enumerate(replies) if i != 5] == list(range(1, 10))


async def test_a_flushed_script_cache_is_reloaded_and_each_call_runs_once(redis_client):
    batch = ScriptBatch(redis_client, redis_client.register_script(APPEND))
    await asyncio.gather(*(batch(["list"], ["warm"]) for _ in range(3)))
    await redis_client.script_flush()  # what a Redis restart does to the script cache
    replies = await asyncio.gather(*(batch(["list"], [str(i)]) for i in range(20)))
    assert replies == list(range(4, 24))
    assert await redis_client.llen("list") == 23


async def test_an_unreachable_redis_fails_every_waiting_call(tmp_path):
    client = aioredis.from_url(f"unix://{tmp_path}/absent.sock", decode_responses=True)
    batch = ScriptBatch(client, client.register_script(APPEND))
    try:
        replies = await asyncio.gather(*(batch(["list"], [str(i)]) for i in range(5)), return_exceptions=True)
    finally:
        await client.aclose()
    assert all(isinstance(reply, ConnectionError) for reply in replies), replies


@pytest.mark.engine_settings(queue={"concurrency": 50})
async def test_a_worker_completes_a_backlog_exactly_once_through_batched_completions(client, worker):
    queue = client.broker.queue(QUEUE)
    await queue.pause()
    ids = await client.broker.submit_bulk([{"task": "enginetest.noop"} for _ in range(300)])
    async with worker([QUEUE]) as service:
        await queue.resume()
        results = [await client.job(job_id).result(timeout=60) for job_id in ids]
        batch = service.workers[QUEUE].finish_batch
    assert results == [{"ok": True}] * 300
    statuses = [await client.job(job_id).status() for job_id in ids]
    assert all(s.state == "completed" and s.attempts == 1 for s in statuses)
    counts = await queue.getJobCounts("completed", "active", "wait", "failed")
    assert counts == {"completed": 300, "active": 0, "wait": 0, "failed": 0}, counts
    assert batch.batched_calls > 0, "completions of concurrent slots went out together"


@pytest.mark.engine_settings(queue={"concurrency": 50})
async def test_stopping_mid_backlog_loses_no_job_and_completes_none_twice(client, worker, tmp_path):
    log = tmp_path / "events.log"
    queue = client.broker.queue(QUEUE)
    await queue.pause()
    ids = await client.broker.submit_bulk(
        [{"task": "enginetest.note", "params": {"log": str(log)}} for _ in range(2000)])
    async with worker([QUEUE]):
        await queue.resume()
        await until_event(log, "done", 60, timeout=120)  # stopped with completions still in flight
    first = len(read_events(log))
    assert first < len(ids), "the first worker stopped before the backlog's end"
    async with worker([QUEUE]):
        # (the queue keeps only the newest completed jobs: the log is the record here)
        await until_event(log, "done", len(ids), timeout=240)
        counts = await queue.getJobCounts("active", "wait", "failed", "delayed")
    assert counts == {"active": 0, "wait": 0, "failed": 0, "delayed": 0}, counts
    done = Counter(job_id for event, job_id, *_ in read_events(log) if event == "done")
    assert set(done) == set(ids) and set(done.values()) == {1}, "every job completed, none twice"


async def test_a_cancelled_writer_leaves_no_caller_hanging(redis_client):
    batch = ScriptBatch(redis_client, redis_client.register_script(APPEND))
    calls = [asyncio.ensure_future(batch(["list"], [str(i)])) for i in range(10)]
    await asyncio.sleep(0)  # the calls are queued and the writer task exists
    batch._flusher.cancel()
    outcomes = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 30)
    assert all(isinstance(o, asyncio.CancelledError) or isinstance(o, int) for o in outcomes), outcomes
