"""A bounded load test on the machine's Redis and PostgreSQL: many small jobs and pipeline runs across
four worker processes. Nothing may be lost or recorded twice; the PostgreSQL connections stay bounded.

The job count is LOAD_JOBS (default 50,000: about 1.5 min here at load ~8), the run count LOAD_RUNS
(default 200); set them lower for a quick run (`LOAD_JOBS=2000 LOAD_RUNS=50`).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mediamill.db.session import POOL_MAX_OVERFLOW, POOL_SIZE, drop_cached
from mediamill.db.testing import postgres_unreachable_reason, throwaway_postgres
from mediamill.engine.broker import Broker
from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.spec import parse_spec

WORKERS = 4
JOBS = int(os.environ.get("LOAD_JOBS", "50000"))
RUNS = int(os.environ.get("LOAD_RUNS", "200"))
TWO_STEPS = parse_spec("""
name: load-two-steps
steps:
  a: {task: enginetest.noop}
  b: {task: enginetest.noop, after: [a]}
outputs:
  ok: ${steps.b.result.ok}
""")


@pytest.fixture
def pg_url():
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    with throwaway_postgres() as url:
        yield url


class ConnectionSampler:
    """Counts the database's server connections (pg_stat_activity) every 0.2 s, in a thread."""

    def __init__(self, url: str) -> None:
        self.database = make_url(url).database
        self.engine = create_engine(url, pool_size=1, max_overflow=0)
        self.peak, self.samples, self._stop = 0, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.engine.connect() as db:
            while not self._stop.wait(0.2):
                count = db.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                                   {"d": self.database}).scalar()
                db.rollback()
                self.peak, self.samples = max(self.peak, count), self.samples + 1

    def __enter__(self) -> ConnectionSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(10)
        self.engine.dispose()


def _states(url: str) -> dict[str, int]:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as db:
            return dict(db.execute(text("SELECT state, count(*) FROM jobs GROUP BY state")).all())
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.parametrize("redis_url", ["external"], indirect=True)
async def test_jobs_and_pipeline_runs_across_four_workers(settings, worker_process, pg_url):
    settings = settings.model_copy(update={"database_url": pg_url})
    with ConnectionSampler(pg_url) as sampler:
        workers = [worker_process(ready=False, DATABASE_URL=pg_url, QUEUES__ENGINETEST__CONCURRENCY="50")
                   for _ in range(WORKERS)]
        for worker in workers:
            await asyncio.to_thread(worker.wait_ready, 180)
        broker, coordinator = Broker(settings), Coordinator(settings)
        try:
            started = time.monotonic()
            ids: list[str] = []
            for first in range(0, JOBS, 1000):
                ids += await broker.submit_bulk([{"task": "enginetest.noop"} for _ in range(first, min(JOBS, first + 1000))])
            submitted_s = time.monotonic() - started
            runs = [await coordinator.start(TWO_STEPS, {}, {}) for _ in range(RUNS)]
            expected = JOBS + 2 * RUNS
            deadline = time.monotonic() + 120 + JOBS / 100
            while (states := await asyncio.to_thread(_states, pg_url)).get("completed", 0) < expected:
                assert time.monotonic() < deadline, states
                assert not set(states) - {"completed", "active", "queued"}, states
                await asyncio.sleep(1)
            drained_s = time.monotonic() - started
            finals = [await coordinator.status(run.id) for run in runs]
        finally:
            await coordinator.close()
            await broker.close()
    drop_cached(pg_url)
    assert states == {"completed": expected}
    assert [f.state for f in finals] == ["completed"] * RUNS
    assert all(f.outputs["ok"] is True for f in finals)
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    with engine.connect() as db:
        recorded = db.execute(text("SELECT count(*) FROM jobs WHERE id = ANY(:ids) AND state = 'completed'"),
                              {"ids": ids}).scalar()
        twice = db.execute(text("SELECT count(*) FROM jobs WHERE attempts <> 1")).scalar()
    engine.dispose()
    assert recorded == JOBS  # every submitted job, completed, recorded once (one row per id)
    assert twice == 0  # and no job ran a second attempt
    bound = (WORKERS + 1) * (POOL_SIZE + POOL_MAX_OVERFLOW) + 1  # each process's pool, plus the sampler
    assert 0 < sampler.peak <= bound
    print("load: " + json.dumps({
        "jobs": JOBS, "pipeline_runs": RUNS, "workers": WORKERS, "lost": expected - states["completed"],
        "ran_twice": twice, "submit_jobs_per_s": round(JOBS / submitted_s),
        "jobs_per_s_submit_to_recorded": round(expected / drained_s), "drained_s": round(drained_s, 1),
        "pg_connections_peak": sampler.peak, "pg_connections_bound": bound, "pg_samples": sampler.samples}))
