"""/v1/queues: job counts per queue, and pause/resume (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from mediamill.api.deps import AdminKey, ReadKey, ServicesDep
from mediamill.api.models import QueueInfo, QueueState, WorkerRow
from mediamill.api.routes import problems
from mediamill.services.catalog import list_workers, queue_overview, set_paused

router = APIRouter(prefix="/v1/queues", tags=["queues"])
workers_router = APIRouter(prefix="/v1/workers", tags=["queues"])


@router.get("", response_model=list[QueueInfo], responses=problems(401, 403))
async def list_queues(services: ServicesDep, key: ReadKey) -> list[dict]:
    """Each queue's counts (waiting, active, completed, failed, delayed...), whether it is paused, the
    workers online, and `no_workers` when jobs wait with nobody to run them."""
    return await queue_overview(services)


@workers_router.get("", response_model=list[WorkerRow], responses=problems(401, 403))
async def workers(services: ServicesDep, key: ReadKey) -> list[dict]:
    """Every live worker process (from their heartbeats)."""
    return await list_workers(services)


@router.post("/{name}/pause", response_model=QueueState, responses=problems(401, 403, 404))
async def pause_queue(name: str, services: ServicesDep, key: AdminKey) -> dict:
    """Stop handing out this queue's jobs (running ones finish)."""
    return await set_paused(services, name, True)


@router.post("/{name}/resume", response_model=QueueState, responses=problems(401, 403, 404))
async def resume_queue(name: str, services: ServicesDep, key: AdminKey) -> dict:
    return await set_paused(services, name, False)
