"""Pipeline overhead: a 5-step chain of no-op tasks through mediamill's coordinator vs the same five
jobs chained by hand with raw BullMQ, in the same run on the same embedded Redis, two ways: the
seeds' way (the producer awaits each job, then adds the next) and the tightest possible way (each
job's processor adds the next); plus the throughput of a 100-child fan-out. Prints JSON.

    .venv/bin/python bench/pipelines.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bullmq import Queue, QueueEvents, Worker
from pydantic import BaseModel, ConfigDict

from mediamill import constants as C
from mediamill.engine.connection import redis_url, release_embedded
from mediamill.logs import configure_logging
from mediamill.pipelines.coordinator import Coordinator
from mediamill.pipelines.spec import parse_spec
from mediamill.settings import Settings
from mediamill.tasks import TaskContext, task
from mediamill.testing import running_worker


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: object = None


@task("bench.noop", queue="analytics")
async def noop(ctx: TaskContext, params: NoParams) -> dict:
    return {"value": params.value}


CHAIN = parse_spec({
    "name": "chain5",
    "steps": {f"s{i}": {"task": "bench.noop", **({"after": [f"s{i - 1}"]} if i else {})} for i in range(5)},
})
FAN = parse_spec({
    "name": "fan100",
    "params": {"items": {"type": "array", "default": list(range(100))}},
    "steps": {"each": {"task": "bench.noop", "foreach": "${params.items}", "params": {"value": "${item}"}},
              "gather": {"task": "bench.noop", "params": {"value": "${steps.each.result}"}}},
})


async def wait_state(coordinator: Coordinator, run_id: str) -> str:
    return (await coordinator.wait(run_id, timeout=120)).state


async def mediamill_chain(coordinator: Coordinator) -> float:
    start = time.perf_counter()
    run = await coordinator.start(CHAIN, {}, {})
    assert await wait_state(coordinator, run.id) == "completed"
    return time.perf_counter() - start


async def raw_chain(url: str, rounds: int) -> list[float]:
    queue = Queue("bench-raw-chain", {"connection": url, "prefix": C.KEY_PREFIX})
    done: dict[str, asyncio.Event] = {}

    async def process(job, token):
        step = job.data["step"]
        if step < 4:
            await queue.add("noop", {"step": step + 1, "chain": job.data["chain"]},
                            {"removeOnComplete": True})
        else:
            done[job.data["chain"]].set()
        return {"value": None}

    worker = Worker("bench-raw-chain", process, {"connection": url, "prefix": C.KEY_PREFIX, "concurrency": 20})
    times = []
    for i in range(rounds):
        done[str(i)] = asyncio.Event()
        start = time.perf_counter()
        await queue.add("noop", {"step": 0, "chain": str(i)}, {"removeOnComplete": True})
        await asyncio.wait_for(done[str(i)].wait(), 60)  # a lost wake-up fails the bench, never hangs it
        times.append(time.perf_counter() - start)
    await close_raw_worker(worker)
    await queue.obliterate(force=True)
    await queue.close()
    return times


async def close_raw_worker(worker: Worker) -> None:
    # The stock Python bullmq Worker.close() can wait forever on its blocked job fetch (mediamill's
    # worker guards against this); the chains are done here, so a forced close loses nothing.
    await asyncio.wait_for(worker.close(force=True), 10)


async def hand_chain(url: str, rounds: int) -> list[float]:
    """The seeds' way (seed 001 "Multi-Stage Pipeline"): the producer waits for each job to finish,
    then adds the next one (here with BullMQ's QueueEvents, as Node's waitUntilFinished does)."""
    name = "bench-hand-chain"
    queue = Queue(name, {"connection": url, "prefix": C.KEY_PREFIX})
    events = QueueEvents(name, {"connection": url, "prefix": C.KEY_PREFIX})
    finished: dict[str, asyncio.Future] = {}
    events.on("completed", lambda event, *_: finished.get(event["jobId"]) and
              not finished[event["jobId"]].done() and finished[event["jobId"]].set_result(None))

    async def process(job, token):
        return {"value": None}

    worker = Worker(name, process, {"connection": url, "prefix": C.KEY_PREFIX, "concurrency": 20})
    await asyncio.sleep(0.2)  # let QueueEvents start reading the stream
    times = []
    loop = asyncio.get_running_loop()
    for _ in range(rounds):
        start = time.perf_counter()
        for _step in range(5):
            job_id = uuid.uuid4().hex  # the future exists before the job can complete
            finished[job_id] = loop.create_future()
            await queue.add("noop", {}, {"removeOnComplete": True, "jobId": job_id})
            await asyncio.wait_for(finished[job_id], 60)
        times.append(time.perf_counter() - start)
    await close_raw_worker(worker)
    await events.close()
    await queue.obliterate(force=True)
    await queue.close()
    return times


async def main(rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="error", queues={"analytics": {"concurrency": 20}})
        configure_logging(settings)  # logs to stderr: stdout carries only the JSON
        url = redis_url(settings)
        coordinator = Coordinator(settings)
        async with running_worker(settings, ["analytics"]):
            await mediamill_chain(coordinator)  # warm-up: DB, plans, connections
            await raw_chain(url, 2)
            ours, raw, hand = [], [], []
            for _ in range(rounds):  # interleaved, so drift on a noisy machine hits all alike
                ours.append(await mediamill_chain(coordinator))
                raw.extend(await raw_chain(url, 1))
                hand.extend(await hand_chain(url, 1))
            start = time.perf_counter()
            run = await coordinator.start(FAN, {}, {})
            assert await wait_state(coordinator, run.id) == "completed"
            fan_s = time.perf_counter() - start
        await coordinator.close()
        release_embedded(settings)
    chain_ms, raw_ms = statistics.median(ours) * 1000, statistics.median(raw) * 1000
    hand_ms = statistics.median(hand) * 1000
    return {
        "chain5_median_ms": round(chain_ms, 1),
        "hand_chained_bullmq_median_ms": round(hand_ms, 1),
        "ratio_vs_hand_chained": round(chain_ms / hand_ms, 2),
        "processor_chained_bullmq_median_ms": round(raw_ms, 1),
        "ratio_vs_processor_chained": round(chain_ms / raw_ms, 2),
        "target_ratio_max": 1.5,
        "fanout100_seconds": round(fan_s, 2),
        "fanout100_children_per_s": round(100 / fan_s, 1),
        "rounds": rounds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    json.dump(asyncio.run(main(args.rounds)), sys.stdout, indent=2)
    print()
