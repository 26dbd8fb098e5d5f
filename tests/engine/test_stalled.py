"""A worker killed in the middle of a job: another worker recovers the job and completes it once."""

from __future__ import annotations

import signal

import pytest
from helpers import both_redis, pid_alive, read_events, until, until_event

FAST_STALL = {"QUEUES__ENGINETEST__LOCK_DURATION_MS": "2000", "QUEUES__ENGINETEST__STALLED_INTERVAL_MS": "1000"}


@pytest.mark.slow
@both_redis
async def test_kill_9_mid_job_is_recovered_and_completed_once(client, worker_process, tmp_path):
    log = tmp_path / "events.log"
    first = worker_process(**FAST_STALL)
    handle = await client.submit("enginetest.work", {"log": str(log), "seconds": 3})
    [(_, _, _, orphan_pid, _)] = await until_event(log, "start")

    # When the worker dies with SIGKILL mid-job
    first.signal(signal.SIGKILL)
    first.wait(10)
    # Then its task process notices and exits instead of finishing the job on its own
    await until(lambda: not pid_alive(orphan_pid), 5, "the orphaned task process to exit")

    # And a second worker finds the stalled job, runs it again and completes it
    worker_process(**FAST_STALL)
    result = await handle.result(timeout=60)
    events = read_events(log)
    assert [row[0] for row in events] == ["start", "start", "done"]
    assert events[-1][3] == result["pid"] != orphan_pid
    status = await handle.status()
    assert status.state == "completed"


@pytest.mark.slow
async def test_long_cpu_bound_job_with_short_lock_runs_once(client, worker_process, tmp_path):
    # Given a 5 s lock that must be renewed six times during a 30 s pure-Python loop
    log = tmp_path / "events.log"
    worker_process(QUEUES__ENGINETEST__LOCK_DURATION_MS="5000", QUEUES__ENGINETEST__STALLED_INTERVAL_MS="2000")
    # A second worker would pick the job up if it ever looked stalled
    worker_process(QUEUES__ENGINETEST__LOCK_DURATION_MS="5000", QUEUES__ENGINETEST__STALLED_INTERVAL_MS="2000")
    handle = await client.submit("enginetest.spin", {"log": str(log), "seconds": 30})
    result = await handle.result(timeout=120)
    assert result["loops"] > 0
    assert [row[0] for row in read_events(log)] == ["start", "done"]
    status = await handle.status()
    assert status.state == "completed" and status.attempts == 1
