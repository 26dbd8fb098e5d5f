"""BullMQ's own per-minute metrics: on with `queue_metrics_minutes`, filled by real jobs, read back per minute."""

from __future__ import annotations

import pytest
from tasks_for_tests import QUEUE

from mediamill import constants as C
from mediamill.client import JobFailed
from mediamill.engine import queue_metrics
from mediamill.testing import running_worker

KEY = f"{C.KEY_PREFIX}:{QUEUE}"


async def run_jobs(client, tmp_path, ok: int, bad: int) -> None:
    log = str(tmp_path / "events.log")
    handles = [await client.submit("enginetest.work", {"log": log}) for _ in range(ok)]
    failing = [await client.submit("enginetest.reject", {"log": log}) for _ in range(bad)]
    for handle in handles:
        await handle.result(timeout=60)
    for handle in failing:
        with pytest.raises(JobFailed):
            await handle.result(timeout=60)


@pytest.mark.slow
async def test_bullmq_counts_finished_jobs_per_minute_when_enabled(client, settings, tmp_path):
    enabled = settings.model_copy(update={"queue_metrics_minutes": 60})
    async with running_worker(enabled, [QUEUE]):
        await run_jobs(client, tmp_path, ok=4, bad=2)
    series = await queue_metrics.throughput(client.broker.redis, [KEY], minutes=60)
    assert sum(series["completed"]) == 4 and sum(series["failed"]) == 2
    # All of them in the last two minutes (the run may straddle a minute's turn), none before.
    assert series["completed"][-1] + series["completed"][-2] == 4
    assert len(series["completed"]) == 60
    assert await client.broker.redis.exists(f"{KEY}:metrics:completed")


@pytest.mark.slow
async def test_no_metrics_keys_without_the_setting(client, settings, tmp_path):
    assert settings.queue_metrics_minutes == 0
    async with running_worker(settings, [QUEUE]):
        await run_jobs(client, tmp_path, ok=2, bad=1)
    assert not await client.broker.redis.exists(f"{KEY}:metrics:completed", f"{KEY}:metrics:failed")
    series = await queue_metrics.throughput(client.broker.redis, [KEY], minutes=5)
    assert series == {"completed": [0] * 5, "failed": [0] * 5}


async def test_minutes_line_up_with_the_clock(client):
    # The layout BullMQ's finishing script leaves (moveToFinished's collectMetrics): 3 jobs so far in
    # the minute that opened at prevTS (12:05), the finished minutes before it in the list, newest first.
    redis = client.broker.redis
    minute = 60_000
    opened = 1_000 * minute + 5 * minute + 1_234  # 12:05:01.234 of some day
    await redis.hset("test-q:metrics:completed", mapping={"count": 10, "prevTS": opened, "prevCount": 7})
    await redis.rpush("test-q:metrics:completed:data", 2, 0, 5)  # 12:04, 12:03, 12:02
    # Read at 12:07: 12:06 and 12:07 had no job at all.
    now = 1_000 * minute + 7 * minute + 30_000
    series = await queue_metrics.per_minute(redis, "test-q", "completed", 6, now_ms=now)
    assert series == [5, 0, 2, 3, 0, 0]  # 12:02 ... 12:07
