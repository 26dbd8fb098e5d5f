"""A per-task memory ceiling: the task process is killed, the job fails once (not retried), the worker
and the next job carry on."""

from __future__ import annotations

from helpers import read_events

from mediamill.errors import MemoryLimitExceeded
from mediamill.policies import QueueOverride


async def test_a_task_over_its_memory_limit_fails_and_the_next_job_runs(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        hog = await client.submit("enginetest.hog", {"log": str(log)})
        status = await hog.wait(timeout=120)
        after = await client.submit("enginetest.work", {"log": str(log)})
        assert (await after.wait(timeout=120)).state == "completed"
    assert status.state == "failed" and status.attempts == 1
    assert status.error.type == MemoryLimitExceeded.__name__ and not status.error.retryable
    assert "memory limit exceeded (200 MB)" in status.error.message
    events = [row for row in read_events(log) if row[1] == hog.id]
    assert [row[0] for row in events] == ["start"]  # never reached the end, ran once


def test_the_queue_ceiling_is_a_setting():
    assert QueueOverride(memory_limit_mb=512).memory_limit_mb == 512
