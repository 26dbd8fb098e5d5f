"""SIGTERM during active jobs loses nothing: they finish within the grace, or go back to the queue."""

from __future__ import annotations

import asyncio
import signal

import pytest
from helpers import read_events, until_event


@pytest.mark.slow
async def test_sigterm_with_long_grace_lets_active_jobs_finish(client, worker_process, tmp_path):
    log = tmp_path / "events.log"
    worker = worker_process(SHUTDOWN_GRACE_S="60")
    handles = [await client.submit("enginetest.work", {"log": str(log), "seconds": 2}) for _ in range(3)]
    await until_event(log, "start", 3)

    worker.signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 60) == 0

    for handle in handles:
        status = await handle.status()
        assert status.state == "completed" and status.attempts == 1
    assert sorted(row[0] for row in read_events(log)) == ["done"] * 3 + ["start"] * 3


@pytest.mark.slow
async def test_sigterm_with_short_grace_hands_jobs_back(client, worker_process, tmp_path):
    log, release = tmp_path / "events.log", tmp_path / "release"
    first = worker_process(SHUTDOWN_GRACE_S="0.5")
    # Jobs that certainly still run when SIGTERM arrives, however loaded the machine: they work
    # until `release` exists (created only after the hand-back is checked), or for 10 minutes.
    params = {"log": str(log), "seconds": 600, "release": str(release)}
    handles = [await client.submit(task, params) for task in ("enginetest.work", "enginetest.work_thread")]
    await until_event(log, "start", 2, timeout=120)

    # When the grace period is shorter than the jobs
    first.signal(signal.SIGTERM)
    assert await asyncio.to_thread(first.wait, 30) == 0
    # Then the cut-off jobs are queued again, without spending an attempt
    for handle in handles:
        status = await handle.status()
        assert status.state in ("waiting", "delayed"), status
        assert status.attempts == 0

    # And another worker completes them
    release.touch()
    worker_process()
    for handle in handles:
        assert (await handle.result(timeout=60))["attempt"] == 1
    events = read_events(log)
    assert sorted(row[0] for row in events) == ["done"] * 2 + ["start"] * 4


@pytest.mark.slow
async def test_a_thread_job_that_ignores_cancellation_does_not_keep_the_worker_alive(client, worker_process, tmp_path):
    log = tmp_path / "events.log"
    worker = worker_process(SHUTDOWN_GRACE_S="0.5")
    handle = await client.submit("enginetest.runaway_thread", {"log": str(log)})
    await until_event(log, "start")

    worker.signal(signal.SIGTERM)
    # The abandoned thread is a daemon: the process still exits, and the job is queued again.
    assert await asyncio.to_thread(worker.wait, 60) == 0
    assert (await handle.status()).state in ("waiting", "delayed")
