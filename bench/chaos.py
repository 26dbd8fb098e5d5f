"""Crash storm and take-back: the timing side of tests/chaos (the tests check correctness only).

Prints JSON. Two measurements, real `mediamill worker` processes on the embedded Redis:

- storm: the same CPU-bound jobs drained twice by W workers, first calm (the same-run baseline),
  then with one worker SIGKILLed every few seconds and restarted, and one hard Redis restart;
  `drain_ratio` = storm_s / calm_s (issue 14 target: <= 3), with lost, failed_by_deaths,
  recorded_twice and ran_to_end_twice (see tests/chaos/storm.py for what each counts).
- takeback: a worker SIGKILLed in the middle of a job, with default lock and stalled-check settings
  and a second worker already up: the seconds from the kill until the job starts again (issue 14:
  "within ~10 s by default").

    .venv/bin/python bench/chaos.py [--jobs 150 --seconds 0.6 --workers 3 --kill-every 3] [--takebacks 3] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("MEDIAMILL_CONFIG", "/nonexistent/mediamill.toml")
TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS / "chaos"), str(TESTS / "engine")]  # the storm harness and its test tasks

import tasks_for_tests  # noqa: E402,F401 - registers the test tasks in this process
from helpers import until  # noqa: E402
from storm import Workers, crash_storm  # noqa: E402

from mediamill import constants as C  # noqa: E402
from mediamill.client import AsyncClient  # noqa: E402
from mediamill.engine.connection import release_embedded  # noqa: E402
from mediamill.settings import Settings  # noqa: E402


def _settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(data_dir=data_dir, log_format="json", log_level="warning", database_url=database_url,
                    queues={"enginetest": {"concurrency": 1}})


def _starts(log: Path) -> list[float]:
    if not log.exists():
        return []
    return [float(line.split()[4]) for line in log.read_text().splitlines() if line.startswith("start ")]


async def takeback_once(work: Path) -> float:
    """Seconds from SIGKILLing the worker that runs a job to that job starting on another worker."""
    data = work / "data"
    data.mkdir(parents=True)
    settings = _settings(data)
    pool = Workers(settings, work, 1)
    try:
        pool.fill()
        await until(lambda: len(pool.ready()) == 1, 120, "first worker")
        log = work / "events.log"
        async with AsyncClient(settings) as client:
            handle = await client.submit("enginetest.work", {"log": str(log), "seconds": 30})
            await until(lambda: len(_starts(log)) == 1, 120, "first start")
            # The second worker is up before the kill: its own start-up is not take-back time.
            pool.count = 2
            pool.fill()
            await until(lambda: len(pool.ready()) == 2, 120, "second worker")
            victim = pool.procs[0][0]
            killed = time.time()
            victim.kill()
            victim.wait(10)
            pool.count = 1
            starts = await until(lambda: _starts(log) if len(_starts(log)) == 2 else None, 120, "second start")
            await handle.cancel()
        return starts[1] - killed
    finally:
        pool.stop()
        release_embedded(settings)


async def main(args) -> dict:
    out: dict = {"lock_duration_ms": C.DEFAULT_LOCK_DURATION_MS,
                 "stalled_interval_ms": C.DEFAULT_STALLED_INTERVAL_MS, "load_avg_1m": os.getloadavg()[0]}
    tmp = tempfile.mkdtemp(prefix="mm-chaos-")
    # Removed at exit, after (atexit runs last-in first-out) the embedded Redis servers the storm's
    # restart acquired have released their data dirs.
    atexit.register(shutil.rmtree, tmp, True)
    if args.takebacks:
        times = [await takeback_once(Path(tmp) / f"takeback-{i}") for i in range(args.takebacks)]
        out["takeback_s"] = {"median": round(statistics.median(times), 2), "max": round(max(times), 2),
                             "runs": [round(t, 2) for t in times]}
    if args.jobs:
        data = Path(tmp) / "storm" / "data"
        data.mkdir(parents=True)
        settings = _settings(data, args.database_url)
        try:
            result = await crash_storm(settings, data.parent, workers=args.workers, jobs=args.jobs,
                                       seconds=args.seconds, kill_every_s=args.kill_every,
                                       timeout=args.timeout, seed=random.Random().randrange(1000))
        finally:
            release_embedded(settings)
        storm = asdict(result)
        storm["errors"] = storm["errors"][:5]
        storm["calm_s"], storm["storm_s"] = round(result.calm_s, 2), round(result.storm_s, 2)
        storm["drain_ratio"] = round(result.drain_ratio, 2)
        storm["target_drain_ratio"] = 3
        out["storm"] = storm
    out["load_avg_1m_end"] = os.getloadavg()[0]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=150, help="storm jobs (0: no storm)")
    parser.add_argument("--seconds", type=float, default=0.6, help="CPU seconds per storm job")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between SIGKILLs")
    parser.add_argument("--timeout", type=float, default=900.0, help="per-job wait limit (s)")
    parser.add_argument("--takebacks", type=int, default=3, help="take-back measurements (0: none)")
    parser.add_argument("--postgres", action="store_true",
                        help="the storm's job records on a throwaway PostgreSQL database (MEDIAMILL_TEST_POSTGRES_URL "
                             "or the local default) instead of SQLite")
    args = parser.parse_args()
    args.database_url = None
    if args.postgres:
        from mediamill.db.testing import throwaway_postgres

        with throwaway_postgres() as url:
            args.database_url = url
            print(json.dumps({**asyncio.run(main(args)), "records": "postgresql"}, indent=2))
    else:
        print(json.dumps({**asyncio.run(main(args)), "records": "sqlite"}, indent=2))
