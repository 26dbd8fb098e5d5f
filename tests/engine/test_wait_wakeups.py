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
