"""What a worker costs when it has nothing to do, or only long jobs that wait: CPU per second by thread.

Prints JSON. For each mode it starts an in-process worker (as `mediamill worker` builds it), lets it
settle (the records database opens a few seconds after start), then reads each thread's CPU clock
and Redis's per-command call counts over a window:
- `all`: every queue, as a plain `mediamill worker` serves them;
- `one`: the thumbnails queue only;
- `sleep`: the thumbnails queue with 2 process jobs that sleep through the window.
The periodic work (stalled-job checks, lock renewal, blocking claims, heartbeats, the cancel resync,
the records writer) shows as CPU per second and as Redis calls per second.

    .venv/bin/python bench/worker_idle.py [--window 12] [--rounds 2] [--modes all,one,sleep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("MEDIAMILL_CONFIG", "/nonexistent/mediamill.toml")

TASKS = '''
import time
from pydantic import BaseModel
from mediamill.tasks import TaskContext, task

class P(BaseModel):
    seconds: float = 60

@task("bench.idle_sleep", queue="thumbnails", isolation="process")
def idle_sleep(ctx: TaskContext, params: P) -> dict:
    time.sleep(params.seconds)
    return {"slept": params.seconds}
'''
SETTLE_S = 7.0  # past the records writer's open (5 s after start without a job)


def thread_cpu_s() -> dict[str, float]:
    used: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            cpu = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except (OSError, TypeError):  # ended meanwhile
            continue
        used[thread.name] = used.get(thread.name, 0.0) + cpu
    return used


async def redis_calls(redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stat["calls"] for name, stat in (await redis.info("commandstats")).items()}


async def one_round(mode: str, window_s: float) -> dict:
    from mediamill.client import AsyncClient
    from mediamill.logs import configure_logging
    from mediamill.settings import Settings
    from mediamill.testing import running_worker

    tmp = Path(tempfile.mkdtemp(prefix="worker-idle-"))
    (tmp / "idle_bench_tasks.py").write_text(TASKS)
    sys.path.insert(0, str(tmp))
    settings = Settings(data_dir=tmp / "data", log_level="warning", task_modules=["idle_bench_tasks"],
                        queues={"thumbnails": {"concurrency": 2}})
    configure_logging(settings)
    async with AsyncClient(settings) as client:
        async with running_worker(settings, None if mode == "all" else ["thumbnails"]):
            if mode == "sleep":
                handles = [await client.submit("bench.idle_sleep", {"seconds": window_s + SETTLE_S + 5}, [])
                           for _ in range(2)]
            await asyncio.sleep(SETTLE_S)
            redis = client.broker.redis
            calls0, threads0, wall0 = await redis_calls(redis), thread_cpu_s(), time.monotonic()
            await asyncio.sleep(window_s)
            threads1, wall = thread_cpu_s(), time.monotonic() - wall0
            calls1 = await redis_calls(redis)
            if mode == "sleep":
                for handle in handles:
                    await handle.cancel()
    per_thread = {name: round((cpu - threads0.get(name, 0.0)) * 1000 / wall, 3) for name, cpu in threads1.items()
                  if cpu - threads0.get(name, 0.0) > 0}
    return {"mode": mode, "loop_ms_per_s": per_thread.get("MainThread", 0.0),
            "process_ms_per_s": round(sum(per_thread.values()), 3), "threads_ms_per_s": per_thread,
            "redis_calls_per_s": {k: round((v - calls0.get(k, 0)) / wall, 2) for k, v in sorted(calls1.items())
                                  if v - calls0.get(k, 0) > 0}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=12.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default="all,one,sleep")
    args = parser.parse_args()
    modes = args.modes.split(",")
    rounds = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode in modes:  # alternating: load drifts over a run
            rounds[mode].append(asyncio.run(one_round(mode, args.window)))
    print(json.dumps({"load": os.getloadavg()[0], "window_s": args.window, "modes": {
        mode: {"loop_ms_per_s": [r["loop_ms_per_s"] for r in found],
               "process_ms_per_s": [r["process_ms_per_s"] for r in found],
               "median_process_ms_per_s": statistics.median(r["process_ms_per_s"] for r in found),
               "last": found[-1]} for mode, found in rounds.items()}}, indent=1))


if __name__ == "__main__":
    main()
