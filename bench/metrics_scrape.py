"""`/metrics` scrape time with 20 queues (the 16 built-in plus 4 declared), jobs in each, live
worker heartbeats and job series from real counters. Prints JSON: p50/p95/max of the scrape through
the API (ASGI, in process), beside a baseline in the same run: the raw Redis reads the scrape needs
(one getJobCounts per queue), so the overhead of the rendering shows.

    .venv/bin/python bench/metrics_scrape.py [--scrapes 50] [--jobs-per-queue 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from mediamill.api.main import create_app
from mediamill.engine import heartbeats, metrics
from mediamill.engine.broker import COUNT_STATES
from mediamill.engine.connection import release_embedded
from mediamill.settings import Settings

EXTRA_QUEUES = ("bench-a", "bench-b", "bench-c", "bench-d")


def stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


async def main(scrapes: int, per_queue: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="warning",
                            queues={name: {"concurrency": 2} for name in EXTRA_QUEUES})
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            broker = app.state.services.broker
            names = list(settings.policies())
            for name in names:
                await broker.queue(name).addBulk([{"name": "bench.job", "data": {"i": i}} for i in range(per_queue)])
                # Job series as workers would have written them (a task per queue, three outcomes)
                for status in ("completed", "failed", "retried"):
                    metrics.JOBS.labels(name, f"{name}.task", status).inc(3)
                metrics.JOB_DURATION.labels(name, f"{name}.task").observe(0.2)
                metrics.JOB_WAIT.labels(name, f"{name}.task").observe(0.05)
            for group in (names[:8], names[8:]):
                await heartbeats.beat(broker.redis, heartbeats.WorkerInfo.for_this_process(group), 10)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
                await http.get("/metrics")  # warm
                through_api, raw = [], []
                size = 0
                for _ in range(scrapes):
                    started = time.perf_counter()
                    response = await http.get("/metrics")
                    through_api.append(time.perf_counter() - started)
                    size = len(response.content)
                    started = time.perf_counter()
                    for name in names:
                        await broker.queue(name).getJobCounts(*COUNT_STATES)
                    raw.append(time.perf_counter() - started)
        release_embedded(settings)
    return {"queues": len(names), "scrapes": scrapes, "jobs_per_queue": per_queue, "bytes": size,
            "scrape_through_api": stats(through_api), "baseline_raw_counts": stats(raw)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--jobs-per-queue", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.scrapes, args.jobs_per_queue)), indent=2))
