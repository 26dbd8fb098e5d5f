"""The upstream patches of docs/upstream/ measured: the stock vs the patched Python `bullmq.Worker`, same run.

Copies the installed `bullmq` package to a temporary directory, applies
docs/upstream/bullmq-worker.diff and bullmq-redis-backend.diff with `patch`, then drains N
pre-filled no-op jobs at concurrency 50 through a plain `bullmq.Worker` script, once with the stock
package and once with the patched copy (each in its own process), rounds alternating, best round of
each. Prints JSON with both rates and their ratio.

    .venv/bin/python bench/bullmq_patches.py [--jobs 5000] [--rounds 3]
    MEDIAMILL_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/bullmq_patches.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATCHES = [ROOT / "docs" / "upstream" / "bullmq-worker.diff", ROOT / "docs" / "upstream" / "bullmq-redis-backend.diff"]
CONCURRENCY = 50
QUEUE = "benchpatches"
PREFIX = "mediamill"


async def drain(url: str, jobs: int) -> float:
    """In the child: pre-fill a paused queue, start a plain Worker, resume, time to the last completion."""
    from bullmq import Queue, Worker

    queue = Queue(QUEUE, {"connection": url, "prefix": PREFIX})
    await queue.obliterate({"force": True})
    await queue.pause()
    for start in range(0, jobs, 1000):
        await queue.addBulk([{"name": "noop", "data": {}, "opts": {}} for _ in range(start, min(jobs, start + 1000))])
    done, count = asyncio.Event(), 0

    def completed(*_):
        nonlocal count
        count += 1
        if count >= jobs:
            done.set()

    async def processor(job, token):
        return {"ok": True}

    worker = Worker(QUEUE, processor, {"connection": url, "prefix": PREFIX, "concurrency": CONCURRENCY})
    worker.on("completed", completed)
    await asyncio.sleep(0.5)  # settle into the blocking wait
    start = time.perf_counter()
    await queue.resume()
    await asyncio.wait_for(done.wait(), 600)
    elapsed = time.perf_counter() - start
    await worker.close()
    await queue.obliterate({"force": True})
    await queue.close()
    return elapsed


def patched_copy(target: Path) -> Path:
    import bullmq

    shutil.copytree(Path(bullmq.__file__).parent, target / "bullmq")
    for patch in PATCHES:
        subprocess.run(["patch", "-s", "-p1", "-d", str(target), "-i", str(patch)], check=True)
    return target


def run_child(url: str, jobs: int, pythonpath: str | None) -> float:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run([sys.executable, __file__, "--child", url, str(jobs)], check=True, capture_output=True,
                         text=True, env=env, timeout=900).stdout
    return json.loads(out)["seconds"]


def main(jobs: int, rounds: int) -> dict:
    os.environ.setdefault("MEDIAMILL_CONFIG", "/nonexistent/mediamill.toml")
    from mediamill.engine.connection import redis_url, release_embedded
    from mediamill.settings import Settings

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="mm-bench-")))
    url = redis_url(settings)
    with tempfile.TemporaryDirectory(prefix="bullmq-patched-") as tmp:
        patched = str(patched_copy(Path(tmp)))
        stock_s, patched_s = [], []
        for _ in range(rounds):
            stock_s.append(run_child(url, jobs, None))
            patched_s.append(run_child(url, jobs, patched))
    release_embedded(settings)
    stock, fixed = jobs / min(stock_s), jobs / min(patched_s)
    return {
        "jobs": jobs, "concurrency": CONCURRENCY, "rounds": rounds,
        "redis": "external" if settings.redis_url else "embedded (unix socket)",
        "stock_bullmq_jobs_per_s": round(stock, 1),
        "patched_bullmq_jobs_per_s": round(fixed, 1),
        "ratio": round(fixed / stock, 3),
        "all_rounds_s": {"stock": [round(v, 3) for v in stock_s], "patched": [round(v, 3) for v in patched_s]},
    }


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps({"seconds": asyncio.run(drain(sys.argv[2], int(sys.argv[3])))}))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(main(args.jobs, args.rounds), indent=2))
