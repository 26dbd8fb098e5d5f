"""What `redis_wait_replicas` costs a submit: Broker.submit with and without Redis WAIT, same run.

Starts a Redis primary and a replica on loopback (redis-server, no persistence), then submits jobs
one at a time through the Broker in alternating rounds: `redis_wait_replicas=0` (the primary's word)
and `=1` (a replica confirmed it). Prints JSON: per-submit median and p90 latency of each side, the
ratio, the client's CPU per submit, and the spread over rounds. Loopback replication is as fast as
it gets: across machines the WAIT side pays the network round trip to the replica on top.

    .venv/bin/python bench/redis_wait.py --submits 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from local_http import free_port  # bench/local_http.py: run as a script, bench/ is on the path
from pydantic import BaseModel, ConfigDict

from mediamill.engine.broker import Broker
from mediamill.engine.wire import JobRequest
from mediamill.settings import Settings
from mediamill.tasks import TaskContext, task


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@task("bench.redis_wait_noop", queue="cleanup")
def noop(ctx: TaskContext, params: NoParams) -> dict:
    """Never run: the bench only submits."""
    return {}


def start_pair(root: Path) -> tuple[list[subprocess.Popen], int]:
    primary, replica = free_port(), free_port()
    base = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"]
    procs = [subprocess.Popen(["redis-server", "--port", str(primary), "--dir", str(root), *base],
                              stdout=subprocess.DEVNULL),
             subprocess.Popen(["redis-server", "--port", str(replica), "--dir", str(root), *base,
                               "--replicaof", "127.0.0.1", str(primary)], stdout=subprocess.DEVNULL)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with redis.Redis(port=replica, socket_timeout=1, decode_responses=True) as r:
                if r.info("replication").get("master_link_status") == "up":
                    return procs, primary
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the replica did not sync")


async def one_side(settings: Settings, count: int) -> dict:
    broker = Broker(settings)
    request = JobRequest(task="bench.redis_wait_noop", params={})
    try:
        await broker.submit(request)  # connections and scripts warm
        took = []
        cpu = time.process_time()
        for _ in range(count):
            begin = time.perf_counter()
            await broker.submit(request)
            took.append(time.perf_counter() - begin)
        cpu = time.process_time() - cpu
        await broker.queue("cleanup").obliterate({"force": True})
    finally:
        await broker.close()
    took.sort()
    return {"median_ms": round(statistics.median(took) * 1000, 3), "p90_ms": round(took[int(len(took) * 0.9)] * 1000, 3),
            "client_cpu_us_per_submit": round(cpu / count * 1e6, 1)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submits", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mm-bench-wait-") as tmp:
        procs, primary = start_pair(Path(tmp))
        try:
            base = Settings(data_dir=Path(tmp) / "data", redis_url=f"redis://127.0.0.1:{primary}/0",
                            log_level="warning")
            rounds = []
            for _ in range(args.rounds):
                plain = await one_side(base, args.submits)
                waiting = await one_side(base.model_copy(update={"redis_wait_replicas": 1}), args.submits)
                rounds.append({"primary_only": plain, "wait_1_replica": waiting,
                               "median_ratio": round(waiting["median_ms"] / plain["median_ms"], 2)})
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
    ratios = [r["median_ratio"] for r in rounds]
    print(json.dumps({"submits_per_side_per_round": args.submits, "rounds": rounds,
                      "median_ratio": statistics.median(ratios), "ratio_spread": [min(ratios), max(ratios)],
                      "load_average": [round(x, 1) for x in os.getloadavg()]}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
