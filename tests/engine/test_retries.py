"""Transient errors retry with exponential backoff, then fail with the error and stack kept; BadInput fails at once."""

from __future__ import annotations

import pytest
from helpers import both_redis, read_events

from mediamill.errors import JobFailed
from mediamill.storage import open_store

BACKOFF_MS = 300


@both_redis
@pytest.mark.engine_settings(queue={"attempts": 4, "backoff_ms": BACKOFF_MS})
async def test_transient_errors_retry_with_backoff_then_fail(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.flaky", {"log": str(log)})
        status = await handle.wait(timeout=60)

    assert status.state == "failed" and status.attempts == 4
    assert status.error.type == "RuntimeError"
    assert status.error.message == "transient trouble on attempt 4"
    starts = [row[4] for row in read_events(log)]
    assert [row[2] for row in read_events(log)] == [1, 2, 3, 4]
    # Exponential: the waits are about 300, 600, 1200 ms. BullMQ never retries early, but the
    # times are taken inside the task process, so allow for dispatch jitter on a busy machine.
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    for index, gap in enumerate(gaps):
        assert gap >= BACKOFF_MS / 1000 * 2**index * 0.7, gaps
    assert gaps[-1] > gaps[0], gaps
    job = await client.broker.queue("enginetest").getJob(handle.id)
    assert job.failedReason == "RuntimeError: transient trouble on attempt 4"
    # The stack of the task process is kept, not only the worker's side of it.
    assert len(job.stacktrace) == 4
    assert "tasks_for_tests.py" in job.stacktrace[-1] and "in flaky" in job.stacktrace[-1]


@pytest.mark.engine_settings(queue={"attempts": 3})
async def test_a_retry_can_succeed(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        result = await (await client.submit("enginetest.flaky", {"log": str(log), "succeed_on": 2})).result(30)
    assert result == {"attempt": 2}


@pytest.mark.engine_settings(queue={"attempts": 3})
async def test_bad_input_fails_after_one_attempt(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.reject", {"log": str(log)})
        with pytest.raises(JobFailed, match="the widget is upside down"):
            await handle.result(timeout=30)
    status = await handle.status()
    assert status.state == "failed" and status.attempts == 1
    assert status.error.type == "BadInput" and not status.error.retryable
    assert len(read_events(log)) == 1


@pytest.mark.engine_settings(queue={"attempts": 3})
async def test_a_failed_attempts_stored_file_goes_and_the_recorded_one_stays(client, worker, settings, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.output", {"log": str(log), "succeed_on": 2})
        status = await handle.wait(timeout=60)
    assert status.state == "completed" and status.attempts == 2
    stored = [row[0].removeprefix("put:") for row in read_events(log) if row[0].startswith("put:")]
    assert len(stored) == 2 and stored[0] != stored[1]  # each attempt its own id
    store = open_store(settings)
    assert not store.exists(stored[0])  # the failed attempt's file went with its scratch dir
    assert status.result["file"]["artifact"] == stored[1] and store.exists(stored[1])
    assert [a.id for a in store.iter_artifacts() if a.job == handle.id] == [stored[1]]
