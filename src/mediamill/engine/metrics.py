"""Prometheus metrics, multi-process: the API and every worker process write to one directory.

prometheus_client's multi-process mode keeps each process's values in memory-mapped files in
PROMETHEUS_MULTIPROC_DIR and sums them at scrape time. Series computed from Redis at scrape
(queue depths, workers online, stalled/removed totals) are added then, so they are counted once
however many processes exist. Labels never carry a job id: only queue, task, state, status, method
and route templates, which are bounded sets.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import time
import warnings
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from mediamill.engine.health import HealthSnapshot, health_snapshot
from mediamill.engine.middleware import Middleware, RunningJob
from mediamill.engine.pids import pid_alive
from mediamill.errors import Cancelled
from mediamill.logs import get_logger
from mediamill.settings import Settings

log = get_logger("mediamill.metrics")

SCRAPE_REDIS_TIMEOUT_S = 5.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: from a thumbnail (tens of ms) to a long video render (half an hour).
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
WAIT_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600)

JOBS = Counter("mediamill_jobs", "Job attempts that ended, by outcome (completed, failed, retried, cancelled)",
               ["queue", "task", "status"])
JOB_DURATION = Histogram("mediamill_job_duration_seconds", "Time an attempt ran, in the worker",
                         ["queue", "task"], buckets=DURATION_BUCKETS)
JOB_WAIT = Histogram("mediamill_job_wait_seconds", "Time from enqueue (or the end of its delay) to a job's "
                     "first start", ["queue", "task"], buckets=WAIT_BUCKETS)
PROCESSOR_RSS = Gauge("mediamill_processor_rss_bytes", "Resident memory of the task (processor) child "
                      "processes of live workers", multiprocess_mode="livesum")
PROCESSOR_CHILDREN = Gauge("mediamill_processor_children", "Task (processor) child processes of live workers",
                           multiprocess_mode="livesum")
HTTP_REQUESTS = Counter("mediamill_http_requests", "HTTP requests answered, by route template and status",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("mediamill_http_request_duration_seconds", "HTTP request handling time",
                          ["method", "route"])
_OURS = (JOBS, JOB_DURATION, JOB_WAIT, PROCESSOR_RSS, PROCESSOR_CHILDREN, HTTP_REQUESTS, HTTP_DURATION)

_enabled_dir: Path | None = None


def metrics_dir(settings: Settings) -> Path:
    return settings.metrics_dir or settings.resolved_data_dir / "prometheus"


def enable(settings: Settings) -> Path:
    """Write this process's metrics into the settings' directory (idempotent; call before counting)."""
    global _enabled_dir
    path = metrics_dir(settings).expanduser().resolve()
    if path == _enabled_dir:
        return path
    path.mkdir(parents=True, exist_ok=True)
    # prometheus_client takes its directory from this variable only (read when a value file opens);
    # task child processes inherit it, which is harmless: they create no metrics.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    values.ValueClass = values.MultiProcessValue()
    for metric in _OURS:  # values made before (in memory, or for another directory) start over
        if metric._labelnames:
            with warnings.catch_warnings():  # "not implemented in multi-process mode": it does clear
                warnings.simplefilter("ignore", UserWarning)
                metric.clear()
        else:
            metric._metric_init()  # an unlabelled metric made its value at import: make it again
    _enabled_dir = path
    clean_dead_processes(path)
    return path


def clean_dead_processes(path: Path) -> list[int]:
    """Drop the live-gauge files of processes that no longer run (their counters stay in the sums)."""
    dead = set()
    for file in path.glob("*.db"):
        pid = file.stem.rpartition("_")[2]
        if pid.isdigit() and not pid_alive(int(pid)):
            dead.add(int(pid))
    for pid in dead:
        mark_process_dead(pid, str(path))
    return sorted(dead)


def rss_bytes(pid: int) -> int:
    """Resident set size from /proc (Linux); 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def record_children(pids: list[int]) -> None:
    PROCESSOR_CHILDREN.set(len(pids))
    PROCESSOR_RSS.set(sum(rss_bytes(pid) for pid in pids))


# A worker's job series reach the shared files this long after the attempt at most (scrapes come
# every 15 s or so): per-job writes to the memory-mapped files were ~15 % of a no-op job's loop time.
FLUSH_INTERVAL_S = 0.25


def observe_many(child: Any, amounts: list[float]) -> None:
    """`child.observe(a)` for each amount, as one write per bucket and one to the sum.

    Reaches into prometheus_client's Histogram child (its bounds, buckets and sum, stable since
    0.4); where they are not there, observes one by one."""
    bounds, buckets, total = (getattr(child, name, None) for name in ("_upper_bounds", "_buckets", "_sum"))
    if bounds is None or buckets is None or total is None:
        for amount in amounts:
            child.observe(amount)
        return
    counts = [0] * len(bounds)
    for amount in amounts:
        counts[min(bisect.bisect_left(bounds, amount), len(bounds) - 1)] += 1
    total.inc(sum(amounts))
    for index, count in enumerate(counts):
        if count:
            buckets[index].inc(count)


class MetricsMiddleware(Middleware):
    """Counts every attempt's outcome, its run time and (first attempt) its wait in the queue.

    The values are tallied in memory and written to the metric files every FLUSH_INTERVAL_S (and
    when the worker stops), one write per series instead of five per job.
    """

    def __init__(self, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        # The labelled series, looked up once per label set: `labels()` takes a lock and builds a
        # key on every call, a third of what this hook cost per job.
        self._series: dict[tuple, Any] = {}
        self.flush_interval_s = flush_interval_s
        self._counts: dict[Any, int] = {}
        self._observed: dict[Any, list[float]] = {}
        self._flush_timer: asyncio.TimerHandle | None = None

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric, *labels)
        child = self._series.get(key)
        if child is None:
            child = self._series[key] = metric.labels(*labels)
        return child

    def _observe(self, child: Any, amount: float) -> None:
        pending = self._observed.get(child)
        if pending is None:
            self._observed[child] = [amount]
        else:
            pending.append(amount)
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(self.flush_interval_s, self.flush)

    def flush(self) -> None:
        """Write what was tallied to the metric files (on the event loop: a few writes per series)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        counts, self._counts = self._counts, {}
        observed, self._observed = self._observed, {}
        for child, count in counts.items():
            child.inc(count)
        for child, amounts in observed.items():
            observe_many(child, amounts)

    async def on_worker_stop(self, worker: Any) -> None:
        self.flush()

    async def before_job(self, job: RunningJob) -> None:
        info = job.info
        if info.attempt == 1:
            bull = job.bull_job
            queued_ms = (getattr(bull, "timestamp", 0) or 0) + (bull.opts.get("delay", 0) or 0)
            if queued_ms:
                self._observe(self._child(JOB_WAIT, info.queue, info.task), max(0.0, time.time() - queued_ms / 1000))

    async def after_job(self, job: RunningJob, result: Any | None, error: BaseException | None) -> None:
        info = job.info
        if error is None:
            status = "completed"
        elif isinstance(error, Cancelled):
            status = "cancelled"
        else:
            status = "failed" if job.final else "retried"
        counter = self._child(JOBS, info.queue, info.task, status)
        self._counts[counter] = self._counts.get(counter, 0) + 1
        self._observe(self._child(JOB_DURATION, info.queue, info.task), job.elapsed_s)


def _scrape_families(snapshot: HealthSnapshot) -> list:
    depth = GaugeMetricFamily("mediamill_queue_jobs", "Jobs per queue and state, read from Redis at scrape "
                              "(waiting includes prioritized)", labels=["queue", "state"])
    up = GaugeMetricFamily("mediamill_worker_up", "Live worker processes serving the queue (heartbeats)",
                           labels=["queue"])
    paused = GaugeMetricFamily("mediamill_queue_paused", "1 when the queue is paused", labels=["queue"])
    events = CounterMetricFamily("mediamill_job_events", "Stalled and removed jobs seen in the queues' event "
                                 "streams", labels=["queue", "event"])
    for row in snapshot.queues:
        for state, count in row.counts.items():
            depth.add_metric([row.name, state], count)
        up.add_metric([row.name], row.workers)
        paused.add_metric([row.name], 1 if row.paused else 0)
        events.add_metric([row.name, "stalled"], row.stalled)
        events.add_metric([row.name, "removed"], row.removed)
    return [depth, up, paused, events]


class _Fixed:
    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        return self.families


async def scrape_snapshot(broker) -> HealthSnapshot | None:
    """The Redis-side series' data, or None when Redis does not answer (the process series still go out)."""
    try:
        return await asyncio.wait_for(health_snapshot(broker), SCRAPE_REDIS_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - a scrape must answer; the gap in queue series shows the outage
        log.warning("metrics: queue series skipped", error=f"{type(exc).__name__}: {exc}")
        return None


async def render(settings: Settings, snapshot: HealthSnapshot | None) -> bytes:
    """The exposition text: every process's values in the directory, plus the scrape-time series."""
    path = enable(settings)

    def build() -> bytes:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(path))
        if snapshot is not None:
            registry.register(_Fixed(_scrape_families(snapshot)))
        return generate_latest(registry)

    return await asyncio.to_thread(build)
