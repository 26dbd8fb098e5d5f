"""Queue throughput: no-op jobs through mediamill's worker vs a raw bullmq.Worker and Node's BullMQ, on one Redis.

Prints JSON. Every side drains N pre-filled jobs at concurrency 50 (pre-filled with addBulk on a
paused queue, timed from resume to the N-th completion); rounds alternate and the best round of
each counts (the machine is shared and noisy). Node's BullMQ runs through `node` with the fixture
in tests/node (bench/node/bullmq_noop.mjs); it is skipped (null) when node or the fixture is
missing. Also: N jobs written by a Node producer with removeOnComplete, drained by mediamill and
by Node's worker; enqueue jobs/s through Broker.submit_bulk; and the median submit->result latency
of single jobs through the AsyncClient.

    .venv/bin/python bench/queue_throughput.py [--jobs 5000] [--rounds 2]
    MEDIAMILL_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/queue_throughput.py
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import subprocess
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
from mediamill.records.middleware import RecordsMiddleware  # noqa: E402
from mediamill.serve import build_worker, worker_middleware  # noqa: E402
from mediamill.settings import Settings  # noqa: E402
from mediamill.tasks import TaskContext, load_tasks, task  # noqa: E402

CONCURRENCY = 50
BENCH_QUEUE = "bench"
RAW_QUEUE = "benchraw"
NODE_QUEUE = "benchnode"
NODE_SCRIPT = Path(__file__).resolve().parent / "node" / "bullmq_noop.mjs"
NODE_FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "node" / "node_modules" / "bullmq"
NOOP_JOB = {"name": "bench.noop", "data": {"task": "bench.noop", "params": {}}, "opts": {"removeOnComplete": True}}


@task("bench.noop", queue=BENCH_QUEUE)
async def noop(ctx: TaskContext, params) -> dict:
    """No work at all: what is left is the engine's own per-job cost."""
    return {"ok": True}


def completion_counter(total: int) -> tuple[asyncio.Event, object]:
    """An event set at the `total`-th call of the returned "completed" listener."""
    done = asyncio.Event()
    count = 0

    def completed(*_):
        nonlocal count
        count += 1
        if count >= total:
            done.set()

    return done, completed


async def drain(queue: Queue, worker_factory, total: int, closer) -> float:
    """Seconds from resuming the paused, pre-filled queue to the worker's `total`-th completion.

    The worker starts while the queue is paused, so neither side's start-up (connections; for
    mediamill also the middleware opening its database) counts: only draining is timed.
    """
    done, completed = completion_counter(total)
    await queue.pause()
    worker = await worker_factory(completed)
    await records_open(worker)
    await asyncio.sleep(0.5)  # let it settle into its blocking wait
    start = time.perf_counter()
    await queue.resume()
    await asyncio.wait_for(done.wait(), 600)
    elapsed = time.perf_counter() - start
    await closer(worker)
    return elapsed


async def records_open(service) -> None:
    """A mediamill worker's records writer opens its database after the first job (start-up work):
    here before the clock starts, as the connections are."""
    for hook in getattr(service, "hooks", ()):
        if isinstance(hook, RecordsMiddleware):
            await hook.open_now()


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


def node_available() -> bool:
    return shutil.which("node") is not None and NODE_FIXTURE.is_dir()


def node_target(url: str) -> str:
    return url.removeprefix("unix://").split("?")[0] if url.startswith("unix://") else url


def run_node(url: str, queue: str, mode: str, jobs: int, job: dict | None = None) -> float | None:
    """One bullmq_noop.mjs run (see its header); its timed seconds, or None for "fill"."""
    argv = ["node", str(NODE_SCRIPT), node_target(url), C.KEY_PREFIX, queue, mode, str(jobs), str(CONCURRENCY)]
    if job is not None:
        argv.append(json.dumps(job))
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


async def node_round(url: str, jobs: int) -> float:
    return await asyncio.to_thread(run_node, url, NODE_QUEUE, "drain", jobs)


async def node_producer_round(settings: Settings, client: AsyncClient, url: str, jobs: int, middleware) -> dict:
    """N no-op jobs from a Node producer (removeOnComplete), drained once by mediamill, once by Node's worker."""
    queue = client.broker.queue(BENCH_QUEUE)
    await queue.obliterate({"force": True})
    await asyncio.to_thread(run_node, url, BENCH_QUEUE, "fill", jobs, NOOP_JOB)
    mediamill_s = (await mediamill_round(settings, client, jobs, middleware, prefilled=True))[0]
    await asyncio.to_thread(run_node, url, BENCH_QUEUE, "fill", jobs, NOOP_JOB)
    node_s = await asyncio.to_thread(run_node, url, BENCH_QUEUE, "consume", jobs)
    await queue.obliterate({"force": True})
    return {"mediamill_s": mediamill_s, "node_s": node_s}


async def mediamill_round(settings: Settings, client: AsyncClient, jobs: int, middleware,
                          prefilled: bool = False) -> tuple[float, float]:
    queue = client.broker.queue(BENCH_QUEUE)
    start = time.perf_counter()
    if not prefilled:
        await queue.obliterate({"force": True})
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
    with_node = node_available()
    results: dict[str, list[float]] = {"raw": [], "mediamill": [], "mediamill_no_middleware": [], "node": []}
    enqueue: list[float] = []
    producer: list[dict] = []
    async with AsyncClient(settings) as client:
        for _ in range(rounds):
            if with_node:
                results["node"].append(await node_round(url, jobs))
            results["raw"].append(await raw_round(url, jobs, options))
            elapsed, enqueue_s = await mediamill_round(settings, client, jobs, hooks)
            results["mediamill"].append(elapsed)
            enqueue.append(enqueue_s)
            results["mediamill_no_middleware"].append((await mediamill_round(settings, client, jobs, []))[0])
            if with_node:
                producer.append(await node_producer_round(settings, client, url, jobs, hooks))
        lat = await latency(settings, client, samples)
    release_embedded(settings)

    def rate(seconds: list[float]) -> float | None:
        return round(jobs / min(seconds), 1) if seconds else None

    raw, mm, node = rate(results["raw"]), rate(results["mediamill"]), rate(results["node"])
    drain = None
    if producer:
        best_mm, best_node = min(p["mediamill_s"] for p in producer), min(p["node_s"] for p in producer)
        drain = {"jobs": jobs, "mediamill_s": round(best_mm, 3), "node_s": round(best_node, 3),
                 "ratio_node_time_to_mediamill_time": round(best_node / best_mm, 3),
                 "all_rounds": [{k: round(v, 3) for k, v in p.items()} for p in producer]}
    return {
        "jobs": jobs,
        "concurrency": CONCURRENCY,
        "rounds": rounds,
        "redis": "external" if settings.redis_url else "embedded (unix socket)",
        "middleware": [type(hook).__name__ for hook in hooks],
        "raw_bullmq_jobs_per_s": raw,
        "mediamill_jobs_per_s": mm,
        "ratio": round(mm / raw, 3),
        "target_ratio": 3.0,
        "node_bullmq_jobs_per_s": node,
        "ratio_to_node": round(mm / node, 3) if node else None,
        "target_ratio_to_node": 0.6,
        "mediamill_no_middleware_jobs_per_s": rate(results["mediamill_no_middleware"]),
        "ratio_no_middleware": round(rate(results["mediamill_no_middleware"]) / raw, 3),
        # What the default middleware (records, logs, webhooks, pipelines) keeps of the engine's rate.
        "middleware_share_kept": round(mm / rate(results["mediamill_no_middleware"]), 3),
        "enqueue_submit_bulk_jobs_per_s": round(jobs / min(enqueue), 1),
        # N jobs from a Node producer (removeOnComplete): drain time of mediamill vs Node's worker.
        "node_producer_drain": drain,
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
