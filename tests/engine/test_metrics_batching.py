"""The worker's job series are tallied in memory and written in batches: the same values as one
write per observation, on the files within the flush interval, and at the worker's stop."""

from __future__ import annotations

import asyncio
import time
import uuid
from types import SimpleNamespace

from prometheus_client import REGISTRY, CollectorRegistry, Histogram

from mediamill.engine.metrics import DURATION_BUCKETS, MetricsMiddleware, observe_many
from mediamill.engine.middleware import RunningJob
from mediamill.settings import Settings
from mediamill.tasks.context import JobInfo


def test_observe_many_writes_what_one_observe_per_value_writes():
    registry = CollectorRegistry()
    histogram = Histogram("batch_check_seconds", "x", ["way"], buckets=DURATION_BUCKETS, registry=registry)
    amounts = [0.0, 0.01, 0.010001, 0.05, 0.3, 0.3, 59.9, 3600, 1e6, 2.5]  # bounds, between, past the last
    for amount in amounts:
        histogram.labels("one").observe(amount)
    observe_many(histogram.labels("many"), amounts)

    def samples(way: str) -> dict:
        return {(s.name, s.labels.get("le")): s.value for family in registry.collect() for s in family.samples
                if s.labels.get("way") == way and not s.name.endswith("_created")}

    assert samples("many") == samples("one") and samples("one")[("batch_check_seconds_count", None)] == len(amounts)


def running(task: str, attempt: int = 1) -> RunningJob:
    bull = SimpleNamespace(timestamp=int(time.time() * 1000) - 2000, opts={})
    return RunningJob(bull_job=bull, data=None, info=JobInfo(job_id=f"job_{attempt}", task=task, queue="q",
                                                             attempt=attempt),
                      settings=Settings(), max_attempts=3)


def count(task: str, status: str) -> float:
    return REGISTRY.get_sample_value("mediamill_jobs_total", {"queue": "q", "task": task, "status": status}) or 0.0


def waited(task: str) -> float:
    return REGISTRY.get_sample_value("mediamill_job_wait_seconds_count", {"queue": "q", "task": task}) or 0.0


async def test_tallies_reach_the_series_after_the_interval_and_at_stop():
    task = f"batchtest-{uuid.uuid4().hex[:8]}"
    hook = MetricsMiddleware(flush_interval_s=0.05)
    for _ in range(3):
        job = running(task)
        await hook.before_job(job)
        await hook.after_job(job, {"ok": True}, None)
    await hook.after_job(running(task, attempt=2), None, RuntimeError("x"))  # not final: a retry
    assert count(task, "completed") == 0  # not written yet
    await asyncio.sleep(0.3)
    assert count(task, "completed") == 3 and count(task, "retried") == 1 and waited(task) == 3
    durations = REGISTRY.get_sample_value("mediamill_job_duration_seconds_count", {"queue": "q", "task": task})
    assert durations == 4

    await hook.after_job(running(task), {"ok": True}, None)
    await hook.on_worker_stop(None)  # the stop writes what is left, without waiting for the timer
    assert count(task, "completed") == 4
    await asyncio.sleep(0.1)
    assert count(task, "completed") == 4  # and the cancelled timer writes nothing twice
