"""A worker killed at the exact point between recording a job's completion and Redis acknowledging
it: the job runs again (at-least-once) but its completion is recorded and logged once.

The kill is deterministic: the workers load tests/chaos/kill_points.py, which SIGKILLs the worker
at that point the first time the job completes (no storm, no luck)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import kill_points
import pytest
from storm import ENGINE_TESTS, Workers

from mediamill.client import AsyncClient
from mediamill.db import open_database
from mediamill.db.repositories import jobs
from mediamill.engine.connection import release_embedded
from mediamill.settings import Settings

FAST = {"concurrency": 1, "lock_duration_ms": 2000, "stalled_interval_ms": 1000}
CHAOS_TESTS = Path(__file__).resolve().parent


@pytest.fixture
def settings(data_dir):
    yield Settings(data_dir=data_dir, log_format="json", log_level="warning", queues={"enginetest": FAST})
    release_embedded(Settings(data_dir=data_dir))


def _completed_lines(logs: Path, job_id: str) -> int:
    count = 0
    for log in logs.glob("worker-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if '"job completed"' in line and json.loads(line).get("job_id") == job_id:
                count += 1
    return count


async def _run(settings, tmp_path, kill_at: str):
    pool = Workers(settings, tmp_path, 1)
    pool.extra_env.update({f"MEDIAMILL_QUEUES__ENGINETEST__{k.upper()}": str(v) for k, v in FAST.items()})
    pool.extra_env["MEDIAMILL_TASK_MODULES"] = "tasks_for_tests,kill_points"
    pool.extra_env["PYTHONPATH"] = os.pathsep.join([str(ENGINE_TESTS), str(CHAOS_TESTS)])
    log = tmp_path / "runs.log"
    try:
        async with AsyncClient(settings) as client:
            handle = await client.submit("enginetest.kill_at_completion", {"log": str(log), "kill_at": kill_at})

            async def keep_a_worker() -> None:
                while True:
                    pool.fill()  # the killed worker is replaced, as a supervisor would
                    await asyncio.sleep(0.2)

            keeper = asyncio.ensure_future(keep_a_worker())
            try:
                status = await handle.wait(timeout=120)
                await asyncio.sleep(1)  # a run after the acknowledgement would have started by now
            finally:
                keeper.cancel()
    finally:
        pool.stop()
    assert kill_points.marker(str(log), handle.id).exists(), "the worker was not killed at the point"
    assert pool.started >= 2
    with open_database(settings).session() as session:
        record = jobs.get(session, handle.id)
    runs = [line for line in log.read_text().splitlines() if line.startswith(f"done {handle.id}")]
    return status, record, runs, kill_points.marker(str(log), handle.id).read_text()


async def test_killed_after_recording_before_redis_acknowledged(settings, tmp_path):
    status, record, runs, first_finish = await _run(settings, tmp_path, "before_ack")
    assert status.state == "completed"
    assert len(runs) == 2, runs  # the job was still active in Redis: it ran again
    # Recorded once: the second run's writes did not touch the completed row, and it was logged once
    # (by the run whose completion Redis acknowledged).
    assert record.state == "completed" and str(record.finished_at) == first_finish
    assert _completed_lines(tmp_path, status.id) == 1


async def test_killed_right_after_redis_acknowledged(settings, tmp_path):
    status, record, runs, first_finish = await _run(settings, tmp_path, "after_ack")
    assert status.state == "completed"
    assert len(runs) == 1, runs  # completed in Redis: never run again
    assert record.state == "completed" and str(record.finished_at) == first_finish
    # Killed before the line could be written: a log line is the one thing this order can lose.
    assert _completed_lines(tmp_path, status.id) == 0
