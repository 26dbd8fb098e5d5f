"""Queue throughput: no-op jobs through mediamill's worker vs a raw bullmq.Worker, on the same Redis.

Prints JSON. Both sides drain N pre-filled jobs at concurrency 50 (pre-filled with addBulk, then
timed from worker start to the N-th completion); rounds alternate and the best round of each
counts (the machine is shared and noisy). Also: enqueue jobs/s through Broker.submit_bulk, and the
median submit->result latency of single jobs through the AsyncClient.

    .venv/bin/python bench/queue_throughput.py [--jobs 5000] [--rounds 2]
    MEDIAMILL_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/queue_throughput.py
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MEDIAMILL_CONFIG", "/nonexistent/mediamill.toml")

from bullmq import Queue, Worker  # noqa: E402

from mediamill import constants as C  # noqa: E402
from mediamill.client import AsyncClient  # noqa: E402
from mediamill.engine.connection import redis_url, release_embedded  # noqa: E402
from mediamill.logs import configure_logging  # noqa: E402
from mediamill.serve import build_worker, worker_middleware  # noqa: E402
from mediamill.settings import Settings  # noqa: E402
from mediamill.tasks import TaskContext, load_tasks, task  # noqa: E402

CONCURRENCY = 50
BENCH_QUEUE = "bench"
RAW_QUEUE = "benchraw"


@task("bench.noop", queue=BENCH_QUEUE)
async def noop(ctx: TaskContext, params) -> dict:
    """No work at all: what is left is the engine's own per-job cost."""
    return {"ok": True}


async def drain(queue: Queue, worker_factory, total: int, closer) -> float:
    """Seconds from resuming the paused, pre-filled queue to the worker's `total`-th completion.

    The worker starts while the queue is paused, so neither side's start-up (connections; for
    mediamill also the middleware opening its database) counts: only draining is timed.
    """
    done = asyncio.Event()
    count = 0

    def completed(*_):
        nonlocal count
        count += 1
        if count >= total:
            done.set()

    await queue.pause()
    worker = await worker_factory(completed)
    await asyncio.sleep(0.5)  # let it settle into its blocking wait
    start = time.perf_counter()
    await queue.resume()
    await asyncio.wait_for(done.wait(), 600)
    elapsed = time.perf_counter() - start
    await closer(worker)
    return elapsed


async def raw_round(url: str, jobs: int, options: dict) -> float:
    queue = Queue(RAW_QUEUE, {"connection": url, "prefix": C.KEY_PREFIX})
    await queue.obliterate({"force": True})
    for start in range(0, jobs, 1000):
        await queue.addBulk([{"name": "noop", "data": {"task": "noop", "params": {}}, "opts": options}
                             for _ in range(start, min(jobs, start + 1000))])

    async def processor(job, token):
        return {"ok": True}

    async def factory(on_completed):
        worker = Worker(RAW_QUEUE, processor, {"connection": url, "prefix": C.KEY_PREFIX, "concurrency": CONCURRENCY})
        worker.on("completed", on_completed)
        return worker

    async def closer(worker):
        await worker.close()

    try:
        return await drain(queue, factory, jobs, closer)
    finally:
        await queue.obliterate({"force": True})
        await queue.close()


async def mediamill_round(settings: Settings, client: AsyncClient, jobs: int, middleware) -> tuple[float, float]:
    queue = client.broker.queue(BENCH_QUEUE)
    await queue.obliterate({"force": True})
    start = time.perf_counter()
    for first in range(0, jobs, 1000):
        await client.broker.submit_bulk([{"task": "bench.noop"} for _ in range(first, min(jobs, first + 1000))])
    enqueue_s = time.perf_counter() - start

    async def factory(on_completed):
        service = build_worker(settings, [BENCH_QUEUE], middleware=middleware)
        await service.start()
        service.workers[BENCH_QUEUE].on("completed", on_completed)
        return service

    async def closer(service):
        await service.stop(grace_s=5)

    try:
        return await drain(queue, factory, jobs, closer), enqueue_s
    finally:
        await queue.obliterate({"force": True})


async def latency(settings: Settings, client: AsyncClient, samples: int) -> list[float]:
    service = build_worker(settings, [BENCH_QUEUE])
    await service.start()
    try:
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            handle = await client.submit("bench.noop")
            await handle.result(timeout=30)
            times.append(time.perf_counter() - start)
        return times
    finally:
        await service.stop(grace_s=5)


async def main(jobs: int, rounds: int, samples: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="mm-bench-"))
    settings = Settings(data_dir=data_dir, log_format="json",
                        queues={BENCH_QUEUE: {"concurrency": CONCURRENCY, "timeout_s": 60}})
    # Logs are rendered as in production, then dropped (a terminal would dominate the timing).
    configure_logging(settings, stream=io.StringIO() if os.environ.get("BENCH_SHOW_LOGS") is None else sys.stderr)
    load_tasks()
    url = redis_url(settings)
    options = settings.policy(BENCH_QUEUE).job_options()
    hooks = worker_middleware(settings)
    results: dict[str, list[float]] = {"raw": [], "mediamill": [], "mediamill_no_middleware": []}
    enqueue: list[float] = []
    async with AsyncClient(settings) as client:
        for _ in range(rounds):
            results["raw"].append(await raw_round(url, jobs, options))
            elapsed, enqueue_s = await mediamill_round(settings, client, jobs, hooks)
            results["mediamill"].append(elapsed)
            enqueue.append(enqueue_s)
            results["mediamill_no_middleware"].append((await mediamill_round(settings, client, jobs, []))[0])
        lat = await latency(settings, client, samples)
    release_embedded(settings)

    def rate(seconds: list[float]) -> float:
        return round(jobs / min(seconds), 1)

    raw, mm = rate(results["raw"]), rate(results["mediamill"])
    return {
        "jobs": jobs,
        "concurrency": CONCURRENCY,
        "rounds": rounds,
        "redis": "external" if settings.redis_url else "embedded (unix socket)",
        "middleware": [type(hook).__name__ for hook in hooks],
        "raw_bullmq_jobs_per_s": raw,
        "mediamill_jobs_per_s": mm,
        "ratio": round(mm / raw, 3),
        "target_ratio": 0.85,
        "mediamill_no_middleware_jobs_per_s": rate(results["mediamill_no_middleware"]),
        "ratio_no_middleware": round(rate(results["mediamill_no_middleware"]) / raw, 3),
        # What the default middleware (records, logs, webhooks, pipelines) keeps of the engine's rate.
        "middleware_share_kept": round(mm / rate(results["mediamill_no_middleware"]), 3),
        "enqueue_submit_bulk_jobs_per_s": round(jobs / min(enqueue), 1),
        "latency_submit_to_result_ms": {
            "median": round(statistics.median(lat) * 1000, 2),
            "p90": round(sorted(lat)[int(len(lat) * 0.9)] * 1000, 2),
            "samples": len(lat),
        },
        "all_rounds_s": {key: [round(v, 3) for v in values] for key, values in results.items()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latency-samples", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.jobs, args.rounds, args.latency_samples)), indent=2))
