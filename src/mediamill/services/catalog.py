"""Tasks, queues and health: the catalog of tasks, queue counts, pause/resume, readiness checks."""

from __future__ import annotations

import asyncio

from mediamill.services.context import Services
from mediamill.tasks.registry import load_tasks


def task_catalog() -> list[dict]:
    """Every registered task with its queue, inputs and the JSON schema of its params."""
    tasks = load_tasks()
    return [
        {"name": spec.name, "queue": spec.queue, "description": spec.description,
         "inputs": {"min": spec.min_inputs, "max": spec.max_inputs}, "accepts": list(spec.accepts),
         "params_schema": spec.schema()}
        for spec in sorted(tasks.values(), key=lambda s: s.name)
    ]


async def queue_overview(services: Services) -> list[dict]:
    counts = await services.broker.counts()
    rows = []
    for name, row in counts.items():
        policy = services.settings.policy(name)
        paused = bool(row.pop("is_paused", 0))
        rows.append({"name": name, "paused": paused, "counts": row, "concurrency": policy.concurrency})
    return rows


async def set_paused(services: Services, queue: str, paused: bool) -> dict:
    services.settings.policy(queue)  # NotFound naming the known queues
    if paused:
        await services.broker.pause(queue)
    else:
        await services.broker.resume(queue)
    return {"name": queue, "paused": paused}


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
