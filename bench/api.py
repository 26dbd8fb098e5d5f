"""HTTP API and records benchmarks, each beside a baseline measured in the same run. Prints JSON.

1. submit: POST /v1/jobs (JSON params, no upload) against a real uvicorn server in its own process,
   vs raw BullMQ `Queue.add` from Python, both at the same client concurrency.
2. download: a 200 MB artifact through the signed download endpoint vs `python -m http.server`
   serving the same file; the API server's RSS before, peak during, and after (streaming = flat).
3. records: no-op job throughput at worker concurrency 50 through mediamill with its default
   middleware (records + webhooks) vs without them vs a raw BullMQ worker.

    .venv/bin/python bench/api.py [--submits 2000] [--jobs 3000] [--mb 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from bullmq import Queue, Worker
from local_http import free_port, wait_http  # bench/local_http.py: run as a script, bench/ is on the path
from pydantic import BaseModel, ConfigDict

from mediamill import constants as C
from mediamill.engine.broker import Broker
from mediamill.engine.connection import redis_url, release_embedded
from mediamill.engine.middleware import LoggingMiddleware
from mediamill.logs import configure_logging
from mediamill.records.middleware import RecordsMiddleware
from mediamill.serve import worker_middleware
from mediamill.settings import Settings
from mediamill.signing import download_link
from mediamill.storage import open_store
from mediamill.tasks import TaskContext, task
from mediamill.testing import running_worker
from mediamill.webhooks.middleware import WebhookMiddleware

CONCURRENCY = 20
SERVER = """
import sys
from mediamill.api.server import serve
from mediamill.settings import Settings
serve(Settings(data_dir=sys.argv[1], log_level="warning"), "127.0.0.1", int(sys.argv[2]))
"""


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@task("bench.api_noop", queue="analytics")
async def noop(ctx: TaskContext, params: NoParams) -> dict:
    return {}




async def bounded(count: int, concurrency: int, make) -> float:
    """Seconds to run `make(i)` for i < count with at most `concurrency` in flight."""
    next_index = iter(range(count))

    async def lane() -> None:
        for index in next_index:
            await make(index)

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - start


# -- 1. submit ---------------------------------------------------------------------------------
async def lean_posts(base_url: str, path: str, body: bytes, count: int, concurrency: int) -> tuple[float, list[int]]:
    """POSTs over raw keep-alive HTTP/1.1 connections: a client that costs far less CPU than httpx,
    so the figure shows what the server can take (on 2 cores httpx itself is the bottleneck)."""
    host, port = base_url.removeprefix("http://").split(":")
    request = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    statuses: list[int] = []

    async def lane(n: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for _ in range(n):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            statuses.append(int(head.split(b" ", 2)[1]))
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(lane(count // concurrency) for _ in range(concurrency)))
    return time.perf_counter() - start, statuses


def cpu_s(pid: int | None = None) -> float:
    times = psutil.Process(pid).cpu_times() if pid else psutil.Process().cpu_times()
    return times.user + times.system


async def bench_submit(base_url: str, settings: Settings, count: int, server_pid: int) -> dict:
    async with httpx.AsyncClient(base_url=base_url, timeout=30,
                                 limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
        artifact = (await http.post("/v1/artifacts", content=b"bench input\n",
                                    headers={"Content-Type": "application/octet-stream"})).json()
        body = {"task": "file.inspect", "params": {"text_preview_chars": 10}, "inputs": [{"artifact": artifact["id"]}]}
        statuses: list[int] = []

        async def submit(_: int) -> None:
            statuses.append((await http.post("/v1/jobs", json=body)).status_code)

        await bounded(50, CONCURRENCY, submit)  # warm-up
        statuses.clear()
        server_cpu, client_cpu = cpu_s(server_pid), cpu_s()
        api_s = await bounded(count, CONCURRENCY, submit)
        server_cpu, client_cpu = cpu_s(server_pid) - server_cpu, cpu_s() - client_cpu
    assert set(statuses) == {202}, set(statuses)
    lean_count = (count // CONCURRENCY) * CONCURRENCY
    lean_s, lean_statuses = await lean_posts(base_url, "/v1/jobs", json.dumps(body).encode(), lean_count, CONCURRENCY)
    assert set(lean_statuses) == {202}, set(lean_statuses)

    queue = Queue("bench-raw-submit", {"connection": redis_url(settings), "prefix": C.KEY_PREFIX})
    data = {"task": "file.inspect", "params": {"text_preview_chars": 10}, "inputs": [{"artifact": artifact["id"]}]}

    async def add(_: int) -> None:
        await queue.add("file.inspect", data, {"attempts": 3, "removeOnComplete": True})

    await bounded(50, CONCURRENCY, add)
    raw_cpu = cpu_s()
    raw_s = await bounded(count, CONCURRENCY, add)
    raw_cpu = cpu_s() - raw_cpu
    await queue.obliterate({"force": True})
    await queue.close()
    return {"requests": count, "concurrency": CONCURRENCY,
            "api_requests_per_s": round(count / api_s, 1), "raw_bullmq_adds_per_s": round(count / raw_s, 1),
            "ratio_api_to_raw": round(raw_s / api_s, 3),
            "api_requests_per_s_lean_client": round(lean_count / lean_s, 1),
            "ratio_api_lean_client_to_raw": round((lean_count / lean_s) / (count / raw_s), 3),
            # CPU time is steadier than wall time on a shared machine: the server's per request,
            # and the raw producer's per add (Redis's own work is in neither).
            "api_server_cpu_ms_per_request": round(server_cpu / count * 1000, 3),
            "raw_producer_cpu_ms_per_add": round(raw_cpu / count * 1000, 3),
            "http_client_cpu_ms_per_request": round(client_cpu / count * 1000, 3)}


# -- 2. download -------------------------------------------------------------------------------
class RssSampler:
    def __init__(self, pid: int) -> None:
        self.process, self.peak, self.running = psutil.Process(pid), 0, True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        return round(self.process.memory_info().rss / 2**20, 1)

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self) -> RssSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


async def timed_download(url: str, rounds: int = 3) -> tuple[float, int]:
    best, size = float("inf"), 0
    async with httpx.AsyncClient(timeout=120) as http:
        for _ in range(rounds):
            size = 0
            start = time.perf_counter()
            async with http.stream("GET", url) as response:
                assert response.status_code == 200, response.status_code
                async for chunk in response.aiter_raw(1024 * 1024):
                    size += len(chunk)
            best = min(best, time.perf_counter() - start)
    return best, size


async def bench_download(base_url: str, settings: Settings, server_pid: int, megabytes: int) -> dict:
    store = open_store(settings)
    source = settings.resolved_data_dir / "bench-download.bin"
    with open(source, "wb") as out:
        block = os.urandom(1024 * 1024)
        for _ in range(megabytes):
            out.write(block)
    artifact = store.put(source, name="big.bin")
    source.unlink()
    url, _ = download_link(settings, artifact.id, base_url=base_url)

    sampler = RssSampler(server_pid)
    rss_before = sampler.rss_mb()
    with sampler:
        api_s, api_size = await timed_download(url)
    rss_after = sampler.rss_mb()
    assert api_size == artifact.size

    blob = store.blob_path(artifact.sha256)
    port = free_port()
    static = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(blob.parent)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        static_s, static_size = await timed_download(f"http://127.0.0.1:{port}/{blob.name}")
    finally:
        static.terminate()
        static.wait()
    assert static_size == artifact.size
    mb = artifact.size / 2**20
    return {"megabytes": megabytes, "api_mb_per_s": round(mb / api_s, 1),
            "static_http_server_mb_per_s": round(mb / static_s, 1), "ratio_api_to_static": round(static_s / api_s, 3),
            "server_rss_mb": {"before": rss_before, "peak": round(sampler.peak / 2**20, 1), "after": rss_after}}


# -- 3. records overhead -------------------------------------------------------------------------
async def drain_with(settings: Settings, count: int, hooks) -> float:
    broker = Broker(settings)
    items = [{"task": "bench.api_noop", "params": {}} for _ in range(count)]
    for start in range(0, count, 1000):
        await broker.submit_bulk(items[start:start + 1000])
    queue = broker.queue("analytics")
    begin = time.perf_counter()
    async with running_worker(settings, ["analytics"], middleware=hooks):
        while (await queue.getJobCounts("completed"))["completed"] < count:
            await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - begin
    await queue.obliterate({"force": True})
    await broker.close()
    return elapsed


async def drain_raw(settings: Settings, count: int) -> float:
    url = redis_url(settings)
    queue = Queue("bench-raw-noop", {"connection": url, "prefix": C.KEY_PREFIX})
    jobs = [{"name": "noop", "data": {"task": "bench.api_noop", "params": {}}, "opts": {"attempts": 3}}
            for _ in range(count)]
    for start in range(0, count, 1000):
        await queue.addBulk(jobs[start:start + 1000])
    done = asyncio.Event()
    finished = 0

    async def process(job, token):
        nonlocal finished
        finished += 1
        if finished >= count:
            done.set()
        return {}

    begin = time.perf_counter()
    worker = Worker("bench-raw-noop", process, {"connection": url, "prefix": C.KEY_PREFIX, "concurrency": 50})
    await done.wait()
    elapsed = time.perf_counter() - begin
    await worker.close()
    await queue.obliterate({"force": True})
    await queue.close()
    return elapsed


async def bench_records(settings: Settings, count: int, rounds: int = 3) -> dict:
    settings = Settings(data_dir=settings.data_dir, log_level="warning", log_format="json",
                        queues={"analytics": {"concurrency": 50, "keep_completed_count": 10 * count}})
    variants = {
        "raw_bullmq": lambda: drain_raw(settings, count),
        "mediamill_logging_only": lambda: drain_with(settings, count, [LoggingMiddleware()]),
        "mediamill_logging_records_webhooks": lambda: drain_with(
            settings, count, [LoggingMiddleware(), RecordsMiddleware(settings), WebhookMiddleware(settings)]),
        "mediamill_default_middleware": lambda: drain_with(settings, count, worker_middleware(settings)),
    }
    for run in variants.values():
        await run()  # warm-up round (Lua scripts, DB migration, imports)
    # Interleaved rounds, median: this machine is shared, and a single round can be off by 2x.
    # CPU seconds of this process (producer + worker, same for every variant) per job is steadier.
    speed: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            before = cpu_s()
            speed[name].append(count / await run())
            cpu[name].append((cpu_s() - before) / count * 1e6)
    jobs_per_s = {name: round(statistics.median(values), 1) for name, values in speed.items()}
    cpu_us = {name: round(statistics.median(values)) for name, values in cpu.items()}
    return {"jobs": count, "worker_concurrency": 50, "rounds": rounds, "jobs_per_s_median": jobs_per_s,
            "process_cpu_us_per_job_median": cpu_us,
            "ratio_default_to_raw": round(jobs_per_s["mediamill_default_middleware"] / jobs_per_s["raw_bullmq"], 3),
            "ratio_records_webhooks_to_logging_only": round(
                jobs_per_s["mediamill_logging_records_webhooks"] / jobs_per_s["mediamill_logging_only"], 3),
            "records_webhooks_cpu_us_per_job": cpu_us["mediamill_logging_records_webhooks"]
            - cpu_us["mediamill_logging_only"]}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-api-") as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="warning", log_format="json")
        configure_logging(settings)
        redis_url(settings)  # start the embedded Redis here, so the server process joins it
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, tmp, str(port)])
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base_url}/healthz")
            report = {"submit": await bench_submit(base_url, settings, args.submits, server.pid),
                      "download": await bench_download(base_url, settings, server.pid, args.mb)}
        finally:
            server.terminate()
            server.wait()
        report["records"] = await bench_records(settings, args.jobs)
        release_embedded(settings)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
