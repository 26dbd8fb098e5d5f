"""Dashboard benchmark: with 100,000 job records and 1,000 pipeline runs in the database, the jobs page,
a text search and a job id search through the real server (uvicorn, HTTP), each beside the same SQL run directly on the
same database, interleaved request by request; and the bytes each page sends. Prints JSON.
The server is a separate process, served as `mediamill api` serves it (build_server + the dashboard).

    .venv/bin/python bench/dashboard.py [--jobs 100000] [--runs 1000] [--repeat 40] [--rounds 1]

The timed requests go through the standard library's http.client on one kept-alive connection: httpx
spent about 0.7 ms of CPU per request in this process (0.1-0.3 for http.client), time that was
counted as the page's. With --rounds N each query is measured N times over and the report gives every
round's ratios and their spread; its main figures are those of the median round by p95 ratio.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psutil
from local_http import free_port, wait_http  # bench/local_http.py: run as a script, bench/ is on the path

from mediamill.db import open_database
from mediamill.db.models.pipelines import PipelineRun, RunStep
from mediamill.db.repositories import jobs as job_records
from mediamill.engine.connection import redis_url, release_embedded
from mediamill.logs import configure_logging
from mediamill.services.history import JobFilter
from mediamill.settings import Settings

TASKS = ["asset.thumbnail", "image.enhance", "text.copy", "video.promo", "speech.captions"]
NEEDLE = "zanzibar"  # in the params of one job in a thousand


def seed(settings: Settings, jobs: int, runs: int) -> None:
    database = open_database(settings)
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=30)
    with database.session() as session:
        batch = []
        for i in range(jobs):
            created = start + timedelta(seconds=i * 25)
            state = rng.choices(["completed", "failed", "queued", "cancelled"], [85, 10, 3, 2])[0]
            params = {"size": rng.randint(64, 2048), "name": f"asset {i}",
                      "note": NEEDLE if i % 1000 == 500 else f"batch {i // 100}"}
            batch.append({"id": f"job_{i:012x}", "queue": "images", "task": TASKS[i % len(TASKS)], "state": state,
                          "attempts": 1, "max_attempts": 3, "params": params, "inputs": [],
                          "result": {"width": 640, "height": 480} if state == "completed" else None,
                          "error": {"type": "BadInput", "message": "bad size"} if state == "failed" else None,
                          "created_at": created, "started_at": created + timedelta(seconds=1),
                          "finished_at": created + timedelta(seconds=3) if state != "queued" else None})
            if len(batch) == 5000:
                job_records.upsert_many(session, batch)
                batch = []
        job_records.upsert_many(session, batch)
        spec = {"name": "bench", "steps": {"a": {"task": "text.copy"}, "b": {"task": "text.copy", "after": ["a"]}}}
        for r in range(runs):
            created = start + timedelta(minutes=r * 40)
            session.add(PipelineRun(id=f"run_{r:08x}", pipeline="bench", spec=spec, inputs={}, params={},
                                    state="completed", progress=100.0, generation=0, created_at=created,
                                    started_at=created, finished_at=created + timedelta(seconds=9)))
            for name in ("a", "b"):
                session.add(RunStep(run=f"run_{r:08x}", step=name, item=-1, task="text.copy", state="completed",
                                    attempts=1, progress=100.0))


def direct_sql(settings: Settings, job_filter: JobFilter):
    """The page's two statements (a page of rows, the total), compiled by the same repository code,
    as a function that runs them straight on a driver connection and returns the seconds and CPU seconds
    it took."""
    engine = open_database(settings).engine
    queries = job_records.list_statements(limit=50, offset=0, dialect=engine.dialect.name, **job_filter.as_kwargs())
    statements = [str(q.compile(engine, compile_kwargs={"literal_binds": True})) for q in queries]
    connection = engine.connect()

    def run() -> tuple[float, float]:
        began, cpu = time.perf_counter(), time.thread_time()
        for statement in statements:
            connection.exec_driver_sql(statement).fetchall()
        return time.perf_counter() - began, time.thread_time() - cpu

    return run, connection


SERVER = """
import sys
from mediamill.api.server import build_server
from mediamill.dashboard import mount
from mediamill.settings import Settings
build_server(Settings(data_dir=sys.argv[1], log_level="warning", log_format="json"), "127.0.0.1", int(sys.argv[2]),
             extend=mount).run()
"""


class Page:
    """GET over one kept-alive connection: the standard library's client (light: see the docstring),
    or httpx (`--client httpx`, as this benchmark measured before)."""

    def __init__(self, port: int, client: str) -> None:
        self.httpx = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) if client == "httpx" else None
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, query: dict) -> str:
        if self.httpx is not None:
            answer = self.httpx.get(path, params=query)
            answer.raise_for_status()
            return answer.text
        self.connection.request("GET", f"{path}?{urlencode(query)}" if query else path)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} {query}: {response.status}")
        return body.decode()

    def close(self) -> None:
        self.connection.close()
        if self.httpx is not None:
            self.httpx.close()


def measure(page: Page, server_pid: int, run_sql, query: dict, repeat: int) -> dict:
    """One round: the page and its SQL interleaved request by request (both see the same load)."""
    timings, sql, sql_cpu = [], [], []
    server_cpu = cpu_s(server_pid)
    for _ in range(repeat):
        started = time.perf_counter()
        body = page.get("/dashboard/jobs", query)
        timings.append(time.perf_counter() - started)
        wall, cpu = run_sql()
        sql.append(wall)
        sql_cpu.append(cpu)
    # CPU seconds do not count the time spent waiting for a core, so they compare the
    # work of each side even when the machine is loaded (latency then mostly measures the queue).
    page_cpu = (cpu_s(server_pid) - server_cpu) / repeat
    return {"page_p95_ms": round(p95(timings) * 1000, 2), "sql_p95_ms": round(p95(sql) * 1000, 2),
            "page_median_ms": round(statistics.median(timings) * 1000, 2),
            "sql_median_ms": round(statistics.median(sql) * 1000, 2),
            "ratio": round(p95(timings) / p95(sql), 2),
            "page_server_cpu_ms": round(page_cpu * 1000, 2),
            "sql_cpu_ms": round(statistics.mean(sql_cpu) * 1000, 2),
            "cpu_ratio": round(page_cpu / statistics.mean(sql_cpu), 2), "bytes": len(body.encode()),
            "matches": int(body.split('id="total">')[1].split(" ")[0])}


def cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--client", choices=("stdlib", "httpx"), default="stdlib")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="mm-bench-dash-")) / "data"
    settings = Settings(data_dir=data, log_level="warning", log_format="json")
    configure_logging(settings)
    began = time.perf_counter()
    seed(settings, args.jobs, args.runs)
    seeded_s = time.perf_counter() - began
    # The server runs as `mediamill api` does, in its own process: sharing this process's GIL with
    # the client and the direct SQL would charge the page for the harness's own Python work.
    redis_url(settings)  # the embedded Redis, started here so that the server process joins it
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(data), str(port)])
    wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120)
    report: dict = {"jobs": args.jobs, "runs": args.runs, "repeat": args.repeat, "seed_s": round(seeded_s, 1),
                    "client": args.client,
                    "load_average": [round(x, 1) for x in psutil.getloadavg()]}
    page = Page(port, args.client)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            for name, query in (("jobs_page", {}), ("search", {"text": NEEDLE}), ("id_prefix", {"id": f"job_{500:012x}"})):
                page.get("/dashboard/jobs", query)  # warm
                run_sql, connection = direct_sql(settings, JobFilter.parse(query))
                rounds = [measure(page, server.pid, run_sql, query, args.repeat) for _ in range(args.rounds)]
                connection.close()
                middle = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
                report[name] = {**middle, "rounds": len(rounds)}
                if len(rounds) > 1:
                    for key in ("ratio", "cpu_ratio"):
                        values = [r[key] for r in rounds]
                        report[name][f"{key}_rounds"] = values
                        report[name][f"{key}_spread"] = [min(values), max(values)]
            sizes = {}
            for path in ("/dashboard", "/dashboard/jobs", f"/dashboard/jobs/job_{500:012x}", "/dashboard/runs",
                         f"/dashboard/runs/run_{0:08x}", "/dashboard/artifacts", "/dashboard/tasks",
                         "/dashboard/tasks/asset.thumbnail", "/dashboard/schedules", "/dashboard/settings",
                         "/dashboard/static/dashboard.css", "/dashboard/static/dashboard.js",
                         "/dashboard/static/htmx.min.js"):
                answer = http.get(path, headers={"Accept-Encoding": "identity"})
                sizes[path] = {"status": answer.status_code, "bytes": len(answer.content)}
            # A filter change on the jobs page: htmx asks for #results only and gets just that.
            answer = http.get("/dashboard/jobs", headers={"Accept-Encoding": "identity", "HX-Request": "true",
                                                          "HX-Target": "results"})
            sizes["/dashboard/jobs (filter change, htmx)"] = {"status": answer.status_code,
                                                              "bytes": len(answer.content)}
            report["bytes_per_page"] = sizes
    finally:
        page.close()
        server.terminate()
        server.wait(30)
        release_embedded(settings)
        shutil.rmtree(data.parent, ignore_errors=True)  # the seeded database, ~50 MB a run
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
