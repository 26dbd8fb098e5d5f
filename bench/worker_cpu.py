"""CPU per no-op job of a mediamill worker: its event-loop thread, its other threads, and Redis.

Prints JSON. Drains N pre-filled no-op jobs at concurrency 50 (as bench/queue_throughput.py does)
with and without the default middleware, rounds alternating, and reads per-thread CPU time
(`time.thread_time()` of the loop thread; the process's other threads, i.e. the records writer)
and Redis's own CPU (`INFO cpu` before and after). CPU time is far less skewed by a loaded machine
than wall time, which is why the per-job breakdown in docs/performance.md uses it.

    .venv/bin/python bench/worker_cpu.py [--jobs 3000] [--rounds 3]
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import queue_throughput as qt  # noqa: E402 - the bench task and queue settings, one definition

from mediamill.client import AsyncClient  # noqa: E402
from mediamill.engine.connection import release_embedded  # noqa: E402
from mediamill.logs import configure_logging  # noqa: E402
from mediamill.serve import build_worker, worker_middleware  # noqa: E402
from mediamill.settings import Settings  # noqa: E402
from mediamill.tasks import load_tasks  # noqa: E402


async def redis_cpu_s(client: AsyncClient) -> float:
    info = await client.broker.redis.info("cpu")
    return info["used_cpu_sys"] + info["used_cpu_user"]


async def drain(settings: Settings, client: AsyncClient, jobs: int, hooks: list) -> dict:
    queue = client.broker.queue(qt.BENCH_QUEUE)
    await queue.obliterate({"force": True})
    for first in range(0, jobs, 1000):
        await client.broker.submit_bulk([{"task": "bench.noop"} for _ in range(first, min(jobs, first + 1000))])
    await queue.pause()
    done, completed = qt.completion_counter(jobs)
    service = build_worker(settings, [qt.BENCH_QUEUE], middleware=hooks)
    await service.start()
    service.workers[qt.BENCH_QUEUE].on("completed", completed)
    await qt.records_open(service)  # start-up work, not the drain's
    await asyncio.sleep(0.5)
    redis0, loop0, proc0, wall0 = await redis_cpu_s(client), time.thread_time(), time.process_time(), time.perf_counter()
    await queue.resume()
    await asyncio.wait_for(done.wait(), 600)
    loop1, proc1, wall1 = time.thread_time(), time.process_time(), time.perf_counter()
    redis1 = await redis_cpu_s(client)
    await service.stop(grace_s=5)
    await queue.obliterate({"force": True})
    per_job = 1e6 / jobs
    return {"loop_thread_us": (loop1 - loop0) * per_job, "other_threads_us": ((proc1 - proc0) - (loop1 - loop0)) * per_job,
            "redis_us": (redis1 - redis0) * per_job, "jobs_per_s": jobs / (wall1 - wall0)}


async def main(jobs: int, rounds: int) -> dict:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="mm-bench-")), log_format="json",
                        queues={qt.BENCH_QUEUE: {"concurrency": qt.CONCURRENCY, "timeout_s": 60}})
    configure_logging(settings, stream=io.StringIO())
    load_tasks()
    runs: dict[str, list[dict]] = {"engine_only": [], "default_middleware": []}
    async with AsyncClient(settings) as client:
        await drain(settings, client, min(jobs, 1000), [])  # warm-up: imports, scripts, database
        for _ in range(rounds):
            runs["engine_only"].append(await drain(settings, client, jobs, []))
            runs["default_middleware"].append(await drain(settings, client, jobs, worker_middleware(settings)))
    release_embedded(settings)
    summary = {name: {key: round(statistics.median(r[key] for r in rows), 1) for key in rows[0]}
               for name, rows in runs.items()}
    return {"jobs": jobs, "rounds": rounds, "median_of_rounds": summary,
            "all_rounds": {name: [{k: round(v, 1) for k, v in r.items()} for r in rows] for name, rows in runs.items()}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.jobs, args.rounds)), indent=2))
