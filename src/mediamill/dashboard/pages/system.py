"""Schedules (BullMQ job schedulers: cron or interval, next run) and the settings, read-only, secrets masked."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from mediamill.dashboard.pages.common import Seen, services_of
from mediamill.dashboard.render import DashboardRoute, page
from mediamill.services.catalog import list_schedules, masked_settings

router = APIRouter(route_class=DashboardRoute)


@router.get("/schedules")
async def schedules_page(request: Request, found: Seen):
    found.require_read()
    return page(request, found, "schedules.html", schedules=await list_schedules(services_of(request)))


@router.get("/settings")
async def settings_page(request: Request, found: Seen):
    found.require_read()
    return page(request, found, "settings.html", settings=masked_settings(services_of(request).settings))
