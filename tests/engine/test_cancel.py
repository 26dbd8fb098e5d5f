"""Cancellation (waiting and active jobs, every isolation mode) and the hard timeout."""

from __future__ import annotations

import asyncio

import pytest
from helpers import both_redis, pid_alive, read_events, until_event

from mediamill.errors import JobFailed


async def test_cancel_a_waiting_job_it_never_runs(client, worker, tmp_path):
    log = tmp_path / "events.log"
    handle = await client.submit("enginetest.work", {"log": str(log)})
    status = await handle.cancel()
    assert status.state == "cancelled"

    async with worker(["enginetest"]):
        # The worker discards it at pick-up: the processor never runs and nothing retries.
        queue = client.broker.queue("enginetest")
        for _ in range(600):
            if await queue.getJobState(handle.id) == "failed":
                break
            await asyncio.sleep(0.05)
    status = await handle.status()
    assert status.state == "cancelled" and status.attempts == 1
    assert read_events(log) == []


@both_redis
@pytest.mark.parametrize("task", ["enginetest.work", "enginetest.work_thread"])
async def test_cancel_an_active_job_stops_it_without_retry(client, worker, tmp_path, task):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit(task, {"log": str(log), "seconds": 60})
        await until_event(log, "start")
        await handle.cancel()
        with pytest.raises(JobFailed, match="cancelled"):
            await handle.result(timeout=30)
        status = await handle.status()
        # Then it stopped cooperatively (ctx.check) and is not retried
        assert status.state == "cancelled" and status.attempts == 1
        assert status.error.type == "Cancelled"
        assert [row[0] for row in read_events(log)] == ["start"]


@pytest.mark.engine_settings(tasks={"enginetest.runaway": {"timeout_s": 1, "attempts": 1}})
async def test_a_runaway_job_is_cancelled_by_killing_its_process(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]) as service:
        handle = await client.submit("enginetest.runaway", {"log": str(log)})
        [(_, _, _, pid, _)] = await until_event(log, "start")
        await handle.cancel()
        with pytest.raises(JobFailed, match="cancelled"):
            await handle.result(timeout=30)
        assert not pid_alive(pid)
        assert pid not in service.pool.child_pids()


@both_redis
@pytest.mark.engine_settings(tasks={"enginetest.runaway": {"timeout_s": 1, "attempts": 1}})
async def test_hard_timeout_kills_a_runaway_job_and_the_worker_carries_on(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.runaway", {"log": str(log)})
        [(_, _, _, pid, _)] = await until_event(log, "start")
        with pytest.raises(JobFailed, match="timeout"):
            await handle.result(timeout=30)
        status = await handle.status()
        assert status.state == "failed" and status.error.type == "JobTimeout"
        assert not pid_alive(pid)
        # The worker is healthy: the next job runs (in a fresh task process)
        result = await (await client.submit("enginetest.work", {"log": str(log)})).result(timeout=30)
        assert result["pid"] != pid


@pytest.mark.engine_settings(tasks={"enginetest.work": {"timeout_s": 1, "attempts": 1}})
async def test_a_cooperative_job_stops_at_its_deadline(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.work", {"log": str(log), "seconds": 60})
        with pytest.raises(JobFailed, match="timeout"):
            await handle.result(timeout=30)
    assert (await handle.status()).error.type == "JobTimeout"


async def test_a_cancelled_job_can_be_retried_and_then_runs(client, worker, tmp_path):
    log = tmp_path / "events.log"
    async with worker(["enginetest"]):
        handle = await client.submit("enginetest.work_thread", {"log": str(log), "seconds": 60})
        await until_event(log, "start")
        await handle.cancel()
        assert (await handle.wait(timeout=30)).state == "cancelled"
        # Workers know the cancelled ids locally; a retry must withdraw that knowledge at once.
        await client.broker.retry(handle.id)
        await until_event(log, "start", 2)
        assert (await handle.status()).state == "active"
        await handle.cancel()
        assert (await handle.wait(timeout=30)).state == "cancelled"
