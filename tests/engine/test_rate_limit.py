"""A queue's rate limit lives in Redis, so it holds across worker processes."""

from __future__ import annotations

import pytest
from helpers import both_redis

MAX, WINDOW_MS, JOBS = 5, 2_000, 15
LIMIT = {"QUEUES__ENGINETEST__RATE_LIMIT__MAX": str(MAX), "QUEUES__ENGINETEST__RATE_LIMIT__DURATION_MS": str(WINDOW_MS),
         "QUEUES__ENGINETEST__CONCURRENCY": "10"}


@pytest.mark.slow
@both_redis
async def test_rate_limit_holds_across_two_worker_processes(client, worker_process):
    workers = [worker_process(**LIMIT), worker_process(**LIMIT)]
    ids = await client.broker.submit_bulk([{"task": "enginetest.noop"} for _ in range(JOBS)])
    for job_id in ids:
        await client.job(job_id).result(timeout=60)

    starts = sorted([(await client.job(job_id).status()).started_at.timestamp() for job_id in ids])
    # Windows follow each other: jobs i and i + 2*MAX can never share a window or two adjacent
    # ones, so at least one whole window lies between them (whichever process ran them).
    for i in range(len(starts) - 2 * MAX):
        assert starts[i + 2 * MAX] - starts[i] >= WINDOW_MS / 1000 * 0.98, starts
    # Both processes took part (each logs the jobs it ran).
    for worker in workers:
        assert '"job completed"' in worker.log_path.read_text()
