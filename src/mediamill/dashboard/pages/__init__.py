"""The dashboard's pages, one module per area; `router` holds them all under /dashboard."""

from __future__ import annotations

from fastapi import APIRouter

from mediamill.dashboard.pages import artifacts, jobs, login, overview, runs, system, tasks

router = APIRouter()
for module in (login, overview, jobs, runs, artifacts, tasks, system):
    router.include_router(module.router, prefix="/dashboard", include_in_schema=False)
