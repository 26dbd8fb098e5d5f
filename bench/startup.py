"""Start-up: how long mediamill's commands take as a user meets them, next to plain scripts doing the same.

Prints JSON. Three comparisons, each measured side by side in alternating rounds (median of each),
every command launched as a fresh process on the same Redis and data dir:

- worker: `mediamill worker --queues assets` launched with one `asset.inspect` job (a process-isolated
  task, a 1x1 PNG) already waiting, timed until that job is completed (its "completed" entry in the
  queue's event stream, read blocking); against a plain bullmq-py worker script launched the same way,
  finishing its own pre-filled job (it hashes the same file). Also the CPU seconds each launched
  process tree used until then (worker, fork server, task process). Target <= 1.5x.
- submit: `mediamill submit file.inspect --input tiny.txt --wait --json` (a mediamill worker already
  running) against a plain bullmq-py script that adds a job and waits for it (a plain worker already
  running). Target <= 2x.
- help: `mediamill --help` against `python -c "import typer"`. Target <= 2x.

    .venv/bin/python bench/startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MEDIAMILL_CONFIG", "/nonexistent/mediamill.toml")

from bullmq import Queue  # noqa: E402
from PIL import Image  # noqa: E402
from proc_cpu import tree_cpu_s  # noqa: E402

from mediamill import constants as C  # noqa: E402
from mediamill.client import AsyncClient  # noqa: E402
from mediamill.engine.connection import redis_url, release_embedded  # noqa: E402
from mediamill.settings import Settings  # noqa: E402

BIN = Path(sys.executable).parent
RAW_QUEUE = "rawstart"

# The plain bullmq-py worker: what a user of the bullmq package writes, minus mediamill.
RAW_WORKER = """
import asyncio, hashlib, signal, sys
from bullmq import Worker

async def process(job, token):
    with open(job.data["path"], "rb") as f:
        return {"sha256": hashlib.sha256(f.read()).hexdigest()}

async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    worker = Worker(sys.argv[2], process, {"connection": sys.argv[1], "prefix": sys.argv[3]})
    await stop.wait()
    await worker.close()

asyncio.run(main())
"""

# The plain "add and wait": add a job, then look at its state every 5 ms until it is finished.
RAW_SUBMIT = """
import asyncio, sys
from bullmq import Job, Queue

async def main():
    queue = Queue(sys.argv[2], {"connection": sys.argv[1], "prefix": sys.argv[3]})
    job = await queue.add("inspect", {"path": sys.argv[4]})
    while await queue.getJobState(job.id) not in ("completed", "failed"):
        await asyncio.sleep(0.005)
    print((await Job.fromId(queue, job.id)).returnvalue)
    await queue.close()

asyncio.run(main())
"""


async def last_event_id(queue: Queue) -> str:
    """Where the queue's event stream ends now: a wait reads what is added after it."""
    last = await queue.client.xrevrange(queue.keys["events"], count=1)
    return _text(last[0][0]) if last else "0-0"


async def wait_state(queue: Queue, job_id: str, after: str, timeout: float = 120.0) -> str:
    """Until the job is completed or failed, blocked on the queue's BullMQ event stream (its
    "completed"/"failed" entry), so the waiting takes no CPU from the processes measured: a 5 ms poll of
    the job's state did (~200 script calls a second here and in Redis, on a loaded machine out of the
    same share of the CPU as the command measured, for as long as that command took)."""
    deadline = time.monotonic() + timeout
    key = queue.keys["events"]
    while time.monotonic() < deadline:
        for _, entries in await queue.client.xread({key: after}, block=1000, count=100) or []:
            for entry_id, fields in entries:
                after = _text(entry_id)
                fields = {_text(k): _text(v) for k, v in fields.items()}
                if fields.get("jobId") == job_id and fields.get("event") in ("completed", "failed"):
                    return fields["event"]
        state = await queue.getJobState(job_id)  # once a second: should the stream ever miss it
        if state in ("completed", "failed"):
            return state
    raise TimeoutError(f"job {job_id} not done after {timeout} s")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def launch(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def launch_until_done(queue: Queue, job_id: str, args: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds from launching a worker command to the pre-filled job's completion, CPU seconds
    its process tree used until then: worker, fork server, task process); then it is stopped."""
    after = await last_event_id(queue)
    start = time.perf_counter()
    worker = launch(args, env)
    try:
        state = await wait_state(queue, job_id, after)
        elapsed = time.perf_counter() - start
        cpu = tree_cpu_s(worker.pid)
    finally:
        stop(worker)
    if state != "completed":
        raise RuntimeError(f"{args[:3]}: job {job_id} {state}")
    return elapsed, cpu


async def mediamill_worker_round(client: AsyncClient, png: Path, env: dict) -> tuple[float, float]:
    handle = await client.submit("asset.inspect", {}, [png])
    return await launch_until_done(client.broker.queue("assets"), handle.id,
                                   [str(BIN / "mediamill"), "worker", "--queues", "assets"], env)


async def raw_worker_round(url: str, png: Path, env: dict) -> tuple[float, float]:
    queue = Queue(RAW_QUEUE, {"connection": url, "prefix": C.KEY_PREFIX})
    try:
        job = await queue.add("inspect", {"path": str(png)})
        return await launch_until_done(queue, job.id, [sys.executable, "-c", RAW_WORKER, url, RAW_QUEUE, C.KEY_PREFIX],
                                       env)
    finally:
        await queue.close()


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and the children it waited for) of one command.

    The CPU time says what the command costs whatever else the machine runs; the wall time is what
    a user waits, and on a loaded machine it swings with the load."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{args[:3]} exited {process.returncode}: {err.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


async def wait_for_worker(client: AsyncClient, queue: str, timeout: float = 120.0) -> None:
    """Until a mediamill worker serves `queue` (its heartbeat is in Redis)."""
    from mediamill.engine.heartbeats import online_per_queue, read_workers

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if online_per_queue(await read_workers(client.broker.redis), [queue])[queue]:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the mediamill worker did not come up")


def summary(mediamill: list, baseline: list, target: float) -> dict:
    """Medians and the ratio; rounds are wall seconds, or (wall, CPU) pairs from `timed`."""
    def wall(values: list) -> list[float]:
        return [v[0] if isinstance(v, tuple) else v for v in values]

    mm, base = statistics.median(wall(mediamill)), statistics.median(wall(baseline))
    out = {"mediamill_s": round(mm, 3), "baseline_s": round(base, 3), "ratio": round(mm / base, 2),
           "target_ratio": target, "met": mm / base <= target,
           "rounds_s": {"mediamill": [round(v, 3) for v in wall(mediamill)],
                        "baseline": [round(v, 3) for v in wall(baseline)]}}
    if mediamill and isinstance(mediamill[0], tuple):
        mm_cpu, base_cpu = statistics.median(v[1] for v in mediamill), statistics.median(v[1] for v in baseline)
        out.update(mediamill_cpu_s=round(mm_cpu, 3), baseline_cpu_s=round(base_cpu, 3),
                   cpu_ratio=round(mm_cpu / base_cpu, 2),
                   rounds_cpu_s={"mediamill": [round(v[1], 3) for v in mediamill],
                                 "baseline": [round(v[1], 3) for v in baseline]})
    return out


async def main(rounds: int, only: set[str]) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="mm-bench-startup-"))
    settings = Settings(data_dir=data_dir, log_format="json")
    url = redis_url(settings)
    env = {**os.environ, "MEDIAMILL_DATA_DIR": str(data_dir), "MEDIAMILL_REDIS_URL": url,
           "MEDIAMILL_LOG_FORMAT": "json"}
    png = data_dir / "pixel.png"
    Image.new("RGB", (1, 1), "white").save(png)  # the smallest image a user would inspect
    tiny = data_dir / "tiny.txt"
    tiny.write_text("hello\n")
    results: dict = {"rounds": rounds, "redis": "embedded (unix socket)"}
    async with AsyncClient(settings) as client:
        # Once, untimed: the data dir's database and the OS file cache are warm for every round.
        await client.submit("file.inspect", {}, [tiny])
        if "worker" in only:
            runs: dict[str, list] = {"mediamill": [], "baseline": []}
            for _ in range(rounds):
                runs["baseline"].append(await raw_worker_round(url, png, env))
                runs["mediamill"].append(await mediamill_worker_round(client, png, env))
            results["worker_first_job"] = summary(runs["mediamill"], runs["baseline"], 1.5)
            print(json.dumps(results["worker_first_job"]), file=sys.stderr)
        if "submit" in only:
            runs = {"mediamill": [], "baseline": []}
            worker = launch([str(BIN / "mediamill"), "worker", "--queues", "assets"], env)
            raw = launch([sys.executable, "-c", RAW_WORKER, url, RAW_QUEUE, C.KEY_PREFIX], env)
            try:
                await wait_for_worker(client, "assets")
                mm_args = [str(BIN / "mediamill"), "submit", "file.inspect", "--input", str(tiny), "--wait", "--json"]
                raw_args = [sys.executable, "-c", RAW_SUBMIT, url, RAW_QUEUE, C.KEY_PREFIX, str(tiny)]
                timed(mm_args, env)  # the worker's task process starts on its first job: not timed
                for _ in range(rounds):
                    runs["baseline"].append(await asyncio.to_thread(timed, raw_args, env))
                    runs["mediamill"].append(await asyncio.to_thread(timed, mm_args, env))
            finally:
                stop(worker)
                stop(raw)
            results["submit_wait"] = summary(runs["mediamill"], runs["baseline"], 2.0)
            print(json.dumps(results["submit_wait"]), file=sys.stderr)
    if "help" in only:
        runs = {"mediamill": [], "baseline": []}
        for _ in range(rounds):
            runs["baseline"].append(timed([sys.executable, "-c", "import typer"], env))
            runs["mediamill"].append(timed([str(BIN / "mediamill"), "--help"], env))
        results["help"] = summary(runs["mediamill"], runs["baseline"], 2.0)
    release_embedded(settings)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="worker,submit,help", help="comma-separated: worker, submit, help")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rounds, set(args.only.split(",")))), indent=2))
