"""The overview: every queue with its counts and workers, throughput per minute, pause/resume."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.requests import Request

from mediamill.dashboard.pages.common import Seen, action_form, services_of
from mediamill.dashboard.render import DashboardRoute, page, redirect
from mediamill.dashboard.svg import sparkline
from mediamill.errors import BadInput
from mediamill.services.catalog import queue_overview, set_paused_many, throughput

router = APIRouter(route_class=DashboardRoute)


@router.get("")
async def overview(request: Request, found: Seen):
    found.require_read()
    services = services_of(request)
    # Rows carry the workers online per queue (worker heartbeats) and `no_workers`: jobs wait, none serve.
    queues, (series, source) = await asyncio.gather(queue_overview(services), throughput(services))
    return page(request, found, "overview.html", queues=queues, spark=sparkline(series), spark_source=source,
                no_workers=not any(q["workers"] for q in queues), all_paused=all(q["paused"] for q in queues))


@router.post("/queues/{name}/{action}")
async def pause_or_resume(name: str, action: str, request: Request, found: Seen):
    await action_form(request, found)
    services = services_of(request)
    paused = _paused(action)
    await set_paused_many(services, paused, None if name == "*" else [name])
    return redirect(request, found, "/dashboard")


def _paused(action: str) -> bool:
    if action not in ("pause", "resume"):
        raise BadInput(f"unknown queue action {action!r}: pause or resume", field="action")
    return action == "pause"
