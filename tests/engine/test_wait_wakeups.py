"""A waiter on a job's result wakes for what it needs: one that shows progress (the CLI's --wait)
still sees the job start; one that only wants the result skips the start and progress events."""

from __future__ import annotations

import asyncio

from tasks_for_tests import QUEUE


async def test_a_watcher_sees_the_job_start_and_a_result_waiter_still_gets_the_result(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker([QUEUE]):
        watched = await client.submit("enginetest.work", {"log": str(log), "seconds": 1.0})
        seen = []
        final = await watched.wait(timeout=60, on_update=lambda status: seen.append(status.state.value))
        assert final.state == "completed"
        assert "active" in seen and seen[-1] == "completed", seen

        handles = [await client.submit("enginetest.work", {"log": str(log), "seconds": 0.3}) for _ in range(3)]
        results = await asyncio.gather(*(handle.result(timeout=60) for handle in handles))
        assert [r["attempt"] for r in results] == [1, 1, 1]


async def test_a_result_waiter_on_a_running_job_does_not_poll_its_status_every_quarter_second(client, worker, tmp_path):
    """While the job runs, its end is an event in the stream: the waiter wakes for it, and its safety-net
    status read comes every WAIT_RECHECK_ACTIVE_S (2 s), not every 0.25 s (8 reads over this job)."""
    broker = client.broker
    reads = 0
    status = broker.status

    async def counted(*args, **kwargs):
        nonlocal reads
        reads += 1
        return await status(*args, **kwargs)

    async with worker([QUEUE]):
        warm = await client.submit("enginetest.work", {"log": str(tmp_path / "warm.log"), "seconds": 0.0})
        await warm.result(timeout=60)  # the task process is up: the next job starts at once
        handle = await client.submit("enginetest.work", {"log": str(tmp_path / "events.log"), "seconds": 2.0})
        deadline = asyncio.get_running_loop().time() + 60
        while (await handle.status()).state.value != "active" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        broker.status = counted
        try:
            result = await handle.result(timeout=60)
        finally:
            broker.status = status
    assert result["attempt"] == 1
    assert 1 <= reads <= 3, reads
