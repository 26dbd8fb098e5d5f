"""Stopping a worker lets its idle task processes exit normally instead of killing them."""

from __future__ import annotations

from tasks_for_tests import QUEUE


async def test_idle_children_exit_cleanly_when_the_worker_stops(client, worker, tmp_path):
    async with worker([QUEUE]) as service:
        handle = await client.submit("enginetest.work", {"log": str(tmp_path / "events.log")})
        await handle.result(timeout=60)
        children = list(service.pool.idle[QUEUE])
        assert children and all(child.alive for child in children)
    # Exit code 0: the child left its loop and ran its finalizers (a kill would be -9, and would
    # leave the semaphores it made registered with multiprocessing's resource tracker).
    assert [child.process.exitcode for child in children] == [0] * len(children)
