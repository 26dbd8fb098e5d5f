"""A crash storm: W worker processes, one SIGKILLed every few seconds and restarted, a hard Redis
restart half-way, CPU-bound jobs. Counts what the issue asks for: lost, failed because workers died,
results recorded twice, and the drain time against the same jobs with no kills.

Two different "twice" counts: `ran_to_end_twice` is a job whose task function finished twice (a
worker killed after its task finished but before its completion reached Redis: the job is run
again, which at-least-once delivery allows); `recorded_twice` is a job whose completion the workers
logged twice ("job completed", said once Redis acknowledged the completion), which must not happen.
`unrecorded_before_sweep` is a job completed in Redis whose row in the records is not completed once
the workers have stopped (a worker killed after the acknowledgement and before its records writer
flushed); `unrecorded` is the same count after one records sweep (records/reconcile.py), which must
be 0."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mediamill.client import AsyncClient
from mediamill.engine.redis_server import EmbeddedRedis
from mediamill.settings import Settings

ENGINE_TESTS = Path(__file__).resolve().parent.parent / "engine"
QUEUE = "enginetest"


class Workers:
    """Real worker processes on one data dir; a killed one is replaced at once."""

    def __init__(self, settings: Settings, logs: Path, count: int) -> None:
        self.settings, self.logs, self.count = settings, logs, count
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self.started = 0
        self.extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAMILL_")}
        env.update({
            "PYTHONPATH": os.pathsep.join([str(ENGINE_TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "MEDIAMILL_CONFIG": "/nonexistent/mediamill.toml",
            "MEDIAMILL_DATA_DIR": str(self.settings.data_dir),
            "MEDIAMILL_TASK_MODULES": "tasks_for_tests",
            "MEDIAMILL_LOG_LEVEL": "info",
            "MEDIAMILL_LOG_FORMAT": "json",
            f"MEDIAMILL_QUEUES__{QUEUE.upper()}__CONCURRENCY": "1",
        })
        if self.settings.database_url:  # the records on PostgreSQL (or another SQLite file)
            env["MEDIAMILL_DATABASE_URL"] = self.settings.database_url
        env.update(self.extra_env)
        return env

    def spawn(self) -> None:
        log = self.logs / f"worker-{self.started}.log"
        self.started += 1
        with open(log, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "mediamill", "worker", "--queues", QUEUE],
                                    env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))

    def fill(self) -> None:
        self.procs = [(p, log) for p, log in self.procs if p.poll() is None]
        while len(self.procs) < self.count:
            self.spawn()

    def ready(self) -> list[subprocess.Popen]:
        return [p for p, log in self.procs if p.poll() is None and b"worker started" in log.read_bytes()]

    def kill_one(self, rng: random.Random) -> bool:
        """SIGKILL one worker that is up (a restarting one is left to start) and start its replacement."""
        ready = self.ready()
        if not ready:
            return False
        victim = rng.choice(ready)
        victim.kill()
        victim.wait(10)
        self.fill()
        return True

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@dataclass
class StormResult:
    jobs: int
    lost: int = 0
    failed: int = 0
    failed_by_deaths: int = 0
    ran_to_end_twice: int = 0
    recorded: int = 0  # jobs with a recorded completion: recorded_twice is out of these
    recorded_twice: int = 0
    unrecorded_before_sweep: int = 0  # left by killed workers' writers; the records sweep finishes them
    swept: int = 0
    unrecorded: int = 0
    kills: int = 0
    redis_restarts: int = 0
    calm_s: float = 0.0
    storm_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def drain_ratio(self) -> float:
        return self.storm_s / self.calm_s if self.calm_s else float("inf")

    def line(self) -> str:
        return (f"chaos: jobs={self.jobs} kills={self.kills} redis_restarts={self.redis_restarts} lost={self.lost} "
                f"failed={self.failed} failed_by_deaths={self.failed_by_deaths} "
                f"recorded={self.recorded} recorded_twice={self.recorded_twice} "
                f"unrecorded_before_sweep={self.unrecorded_before_sweep} swept={self.swept} unrecorded={self.unrecorded} "
                f"ran_to_end_twice={self.ran_to_end_twice} calm_s={self.calm_s:.1f} storm_s={self.storm_s:.1f} "
                f"drain_ratio={self.drain_ratio:.2f}")


async def _run_batch(client: AsyncClient, log: Path, jobs: int, seconds: float, timeout: float,
                     chaos=None) -> tuple[float, list[tuple]]:
    started = time.monotonic()
    handles = [await client.submit("enginetest.spin", {"log": str(log), "seconds": seconds}) for _ in range(jobs)]
    # Bounded: 150 waits at once exhaust the client's Redis connection pool (MaxConnectionsError),
    # which would count as lost jobs that are in fact fine.
    gate = asyncio.Semaphore(20)

    async def wait(handle):
        async with gate:
            return await handle.wait(timeout=timeout)

    waiting = asyncio.gather(*(wait(h) for h in handles), return_exceptions=True)
    storm = asyncio.ensure_future(chaos()) if chaos else None
    statuses = await waiting
    elapsed = time.monotonic() - started
    if storm:
        storm.cancel()
    return elapsed, list(zip(handles, statuses, strict=True))


def _recorded_counts(logs: list[Path], job_ids: set[str]) -> dict[str, int]:
    """How often the workers recorded each job's completion (the log middleware's "job completed")."""
    counts: dict[str, int] = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if '"job completed"' not in line:
                continue
            try:
                job_id = json.loads(line).get("job_id")
            except ValueError:
                continue  # a line cut short by a SIGKILL
            if job_id in job_ids:
                counts[job_id] = counts.get(job_id, 0) + 1
    return counts


def _done_counts(log: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            parts = line.split()
            if parts and parts[0] == "done":
                counts[parts[1]] = counts.get(parts[1], 0) + 1
    return counts


async def crash_storm(settings: Settings, work: Path, *, workers: int, jobs: int, seconds: float,
                      kill_every_s: float, timeout: float, seed: int = 14) -> StormResult:
    rng = random.Random(seed)
    result = StormResult(jobs=jobs)
    pool = Workers(settings, work, workers)
    pool.fill()
    try:
        async with AsyncClient(settings) as client:
            while len(pool.ready()) < workers:
                await asyncio.sleep(0.1)
            # The same jobs with no kills: the reference drain time.
            result.calm_s, _ = await _run_batch(client, work / "calm.log", jobs, seconds, timeout)

            async def chaos() -> None:
                # Kills for a storm window as long as two calm runs; after it the set must drain.
                began = time.monotonic()
                while time.monotonic() - began < 2 * result.calm_s:
                    await asyncio.sleep(kill_every_s)
                    if pool.kill_one(rng):
                        result.kills += 1
                    if not result.redis_restarts and time.monotonic() - began > result.calm_s / 2:
                        server = EmbeddedRedis(settings.resolved_data_dir)
                        await asyncio.to_thread(server.kill_hard)
                        await asyncio.to_thread(server.acquire)  # the AOF brings the queue back
                        result.redis_restarts += 1

            storm_log = work / "storm.log"
            result.storm_s, statuses = await _run_batch(client, storm_log, jobs, seconds, timeout, chaos)
            for _, status in statuses:
                if isinstance(status, BaseException):
                    result.lost += 1
                    result.errors.append(repr(status))
                elif status.state != "completed":
                    result.failed += 1
                    message = status.error.message if status.error else status.state
                    result.errors.append(message)
                    if status.error and status.error.type == "WorkerCrashed" or "stalled" in str(message):
                        result.failed_by_deaths += 1
            result.ran_to_end_twice = sum(1 for n in _done_counts(storm_log).values() if n > 1)
            storm_ids = {handle.id for handle, _ in statuses}
            logs = sorted(work.glob("worker-*.log"))
            recorded = _recorded_counts(logs, storm_ids)
            result.recorded = len(recorded)
            result.recorded_twice = sum(1 for n in recorded.values() if n > 1)
    finally:
        pool.stop()
    completed = [handle.id for handle, status in statuses if getattr(status, "state", None) == "completed"]
    result.unrecorded_before_sweep = len(completed) - _completed_records(settings, completed)
    # What a worker's periodic records sweep does (records/reconcile.py), forced once here with no
    # grace period: every worker has stopped, so no writer is left to flush anything.
    result.swept = await _sweep_records(settings)
    result.unrecorded = len(completed) - _completed_records(settings, completed)
    return result


async def _sweep_records(settings: Settings) -> int:
    from mediamill.db import open_database
    from mediamill.engine.connection import redis_url
    from mediamill.engine.redis_urls import redis_client
    from mediamill.records.reconcile import sweep

    redis = redis_client(redis_url(settings), decode_responses=True)
    try:
        done = await sweep(redis, open_database(settings), settings, grace_s=0, limit=100_000)
    finally:
        await redis.aclose()
    return len(done.fixed)


def _completed_records(settings: Settings, job_ids: list[str]) -> int:
    from mediamill.db import open_database
    from mediamill.db.repositories import jobs

    with open_database(settings).session() as session:
        return sum(1 for job_id in job_ids if (row := jobs.get(session, job_id)) is not None and row.state == "completed")
