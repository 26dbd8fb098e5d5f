"""A task process that dies under its job counts against the job's death budget, not its attempts."""

from __future__ import annotations

import pytest
from helpers import read_events


@pytest.mark.slow
async def test_a_job_that_kills_its_task_process_fails_after_its_death_budget(client, worker_process, tmp_path):
    # Given a queue whose jobs may survive 3 deaths, and 3 attempts (the default)
    log = tmp_path / "events.log"
    worker = worker_process(QUEUES__ENGINETEST__MAX_STALLS="3")
    # When a job's task process dies every time it runs
    poison = await client.submit("enginetest.kill_child", {"log": str(log)})
    status = await poison.wait(timeout=180)
    # Then it ran once plus once per death it survived (more than its attempts), and failed saying why
    assert [row[0] for row in read_events(log)] == ["start"] * 4
    assert status.state == "failed", status
    assert status.error.type == "WorkerCrashed" and status.error.retryable is False
    assert "kills its worker" in status.error.message and "exit code 71" in status.error.message
    # And the worker lives on: the next job completes
    good = await client.submit("enginetest.work", {"log": str(log)})
    assert (await good.result(timeout=120))["attempt"] == 1
    assert worker.proc.poll() is None
