"""A job that kills every worker that takes it fails after max_stalls deaths, saying so; others complete."""

from __future__ import annotations

import asyncio

import pytest
from storm import Workers

from mediamill.client import AsyncClient
from mediamill.engine.connection import release_embedded
from mediamill.settings import Settings

FAST = {"concurrency": 1, "lock_duration_ms": 2000, "stalled_interval_ms": 1000, "max_stalls": 2}


@pytest.fixture
def settings(data_dir):
    yield Settings(data_dir=data_dir, log_format="json", log_level="warning", queues={"enginetest": FAST})
    release_embedded(Settings(data_dir=data_dir))


async def test_a_worker_killing_job_fails_after_its_death_budget(settings, tmp_path):
    pool = Workers(settings, tmp_path, 2)
    for key, value in FAST.items():
        pool.extra_env[f"MEDIAMILL_QUEUES__ENGINETEST__{key.upper()}"] = str(value)
    log = tmp_path / "events.log"
    try:
        async with AsyncClient(settings) as client:
            poison = await client.submit("enginetest.kill_worker", {"log": str(log)})
            fine = await client.submit("enginetest.work_thread", {"log": str(log)})

            async def keep_two_workers() -> None:
                while True:
                    pool.fill()  # a dead worker is replaced at once, as a supervisor would
                    await asyncio.sleep(0.2)

            keeper = asyncio.ensure_future(keep_two_workers())
            try:
                status = await poison.wait(timeout=120)
                assert (await fine.wait(timeout=120)).state == "completed"
            finally:
                keeper.cancel()
    finally:
        pool.stop()
    assert status.state == "failed"
    assert status.error.type == "WorkerCrashed" and "kills its worker" in status.error.message
    assert not status.error.retryable
    runs = [line for line in log.read_text().splitlines() if line.startswith("start") and poison.id in line]
    assert len(runs) == FAST["max_stalls"] + 1  # first run, then one per death allowed
