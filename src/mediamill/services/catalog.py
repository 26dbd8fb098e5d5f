"""Tasks, queues and health: the catalog of tasks, queue counts, pause/resume, readiness checks."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from mediamill.engine import queue_metrics
from mediamill.engine.health import HealthSnapshot
from mediamill.engine.health import health_snapshot as engine_health_snapshot
from mediamill.engine.heartbeats import online_per_queue, read_workers
from mediamill.errors import WaitTimedOut
from mediamill.services import history
from mediamill.services.context import Services
from mediamill.settings import Settings
from mediamill.tasks.registry import load_tasks, unavailable_families


def task_catalog() -> list[dict]:
    """Every registered task with its queue, inputs and the JSON schema of its params."""
    tasks = load_tasks()
    return [
        {"name": spec.name, "queue": spec.queue, "description": spec.description,
         "inputs": {"min": spec.min_inputs, "max": spec.max_inputs}, "accepts": list(spec.accepts),
         "params_schema": spec.schema()}
        for spec in sorted(tasks.values(), key=lambda s: s.name)
    ]


def unavailable_tasks() -> list[dict]:
    """Task modules that failed to import (their tasks are missing from the catalog), with the error."""
    return [{"module": module, "error": error} for module, error in sorted(unavailable_families().items())]


async def health_snapshot(services: Services) -> HealthSnapshot:
    """Every queue's counts, paused flag, workers online and "no workers" flag, plus the live workers."""
    return await engine_health_snapshot(services.broker)


def task_names() -> list[str]:
    """Registered task names, sorted (cheap: no schema is built, unlike task_catalog())."""
    return sorted(load_tasks())


async def throughput(services: Services, minutes: int = 60) -> tuple[dict[str, list[int]], str]:
    """Completed and failed jobs per minute over the last `minutes`, oldest first, and where the counts
    come from: BullMQ's own metrics keys when `queue_metrics_minutes` turns them on, else the job records."""
    settings = services.settings
    if settings.queue_metrics_minutes:
        return await queue_metrics.throughput(services.broker.redis, settings.bull_key_bases(), minutes), "bullmq"
    return await asyncio.to_thread(history.throughput, services, minutes), "records"


async def queue_overview(services: Services) -> list[dict]:
    """One row per queue: name, paused, concurrency, counts, workers, no_workers, stalled, removed."""
    snapshot = await health_snapshot(services)
    return [row.as_dict() for row in snapshot.queues]


async def list_workers(services: Services) -> list[dict]:
    """Every live worker process: id, host, pid, queues, started and last beat (epoch s), active jobs."""
    return [asdict(worker) for worker in await read_workers(services.broker.redis)]


async def workers_online(services: Services, queue: str | None = None) -> dict[str, int]:
    """Live worker processes per queue (every known queue, 0 when none), or only `queue`'s entry."""
    names = [queue] if queue else list(services.settings.policies())
    if queue:
        services.settings.policy(queue)  # NotFound naming the known queues
    return online_per_queue(await read_workers(services.broker.redis), names)


async def set_paused(services: Services, queue: str, paused: bool) -> dict:
    services.settings.policy(queue)  # NotFound naming the known queues
    if paused:
        await services.broker.pause(queue)
    else:
        await services.broker.resume(queue)
    return {"name": queue, "paused": paused}


async def set_paused_many(services: Services, paused: bool, queues: list[str] | None = None) -> list[dict]:
    """Pause or resume several queues (every known queue when `queues` is None)."""
    names = list(services.settings.policies()) if queues is None else queues
    for name in names:
        services.settings.policy(name)  # check every name before changing any queue
    return [await set_paused(services, name, paused) for name in names]


async def drain(services: Services, queues: list[str] | None = None, *, timeout_s: float | None = None,
                poll_s: float = 0.5, on_poll=None) -> list[dict]:
    """Before a deploy: pause the queues (workers take nothing new) and return once none has an active
    job. The queues stay paused; resume them after the deploy. WaitTimedOut if jobs still run at timeout_s."""
    rows = await set_paused_many(services, True, queues)
    names = [row["name"] for row in rows]
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        active = {name: (await services.broker.queue(name).getJobCounts("active"))["active"] for name in names}
        if on_poll is not None:
            on_poll(active)
        if not any(active.values()):
            return [{"name": name, "paused": True, "active": 0} for name in names]
        if deadline is not None and time.monotonic() >= deadline:
            busy = ", ".join(f"{name}: {count}" for name, count in active.items() if count)
            raise WaitTimedOut(f"drain: jobs still active after {timeout_s:g} s ({busy})")
        await asyncio.sleep(poll_s)


async def readiness(services: Services, timeout_s: float = 2.0) -> dict[str, str]:
    """"ok" or the error, for Redis, the database and the storage."""

    async def check(probe) -> str:
        try:
            await asyncio.wait_for(probe(), timeout_s)
        except Exception as exc:  # noqa: BLE001 - any failure is "not ready", with its reason
            return f"error: {type(exc).__name__}: {exc}"[:300]
        return "ok"

    return {
        "redis": await check(services.broker.redis.ping),
        "database": await check(lambda: asyncio.to_thread(services.database.ping)),
        "storage": await check(lambda: asyncio.to_thread(services.store.ping)),
    }


async def list_schedules(services: Services) -> list[dict]:
    """Every BullMQ job scheduler of every queue: its cron pattern or interval and its next run."""
    rows = []
    for name in services.settings.policies():
        for scheduler in await services.broker.schedulers(name):
            next_ms = scheduler.get("next")
            rows.append({"queue": name, "id": scheduler.get("key") or scheduler.get("id"),
                         "task": scheduler.get("name"), "pattern": scheduler.get("pattern"),
                         "every_ms": int(scheduler["every"]) if scheduler.get("every") else None,
                         "tz": scheduler.get("tz"),
                         "next": datetime.fromtimestamp(int(next_ms) / 1000, UTC) if next_ms else None})
    return sorted(rows, key=lambda row: (row["next"] is None, row["next"] or 0, row["id"] or ""))


# Settings whose values are credentials, wherever they sit in the tree; URLs lose their password.
_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "credential")


def masked_settings(settings: Settings) -> dict:
    """Every setting as plain JSON, secrets replaced by '••••' (for read-only display)."""
    return _mask(settings.model_dump(mode="json"))


def _mask(value, key: str = ""):
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if value not in (None, "") and any(word in key.lower() for word in _SECRET_WORDS):
        return "••••"
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:••••@{host}"))
    return value
