"""POST /v1/events (a batch, one job) and GET /v1/analytics/...: top assets, counts over time, searches."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from mediamill.api.deps import ReadKey, ServicesDep, SubmitKey
from mediamill.api.routes import problems
from mediamill.api.uploads import parse_json, read_body
from mediamill.services import analytics as service

events = APIRouter(prefix="/v1/events", tags=["analytics"])
# 10,000 events of ~200 bytes each, with room for their data.
EVENTS_MAX_BYTES = 4 * 1024 * 1024
router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Days = Annotated[int, Query(ge=1, le=366, description="the last N days, today included")]
Kind = Annotated[str, Query(max_length=32, description="ASSET_VIEW, ASSET_DOWNLOAD, ASSET_SHARE, SEARCH, ACTIVITY")]


@events.post("", status_code=202, responses=problems(401, 403, 413, 422))
async def post_events(request: Request, services: ServicesDep, key: SubmitKey) -> JSONResponse:
    """Record a batch `{"events": [{type, assetId, userId, data, timestamp}, ...]}` (up to 10,000) as one job."""
    raw = await read_body(request, max_bytes=EVENTS_MAX_BYTES)
    body = None if service.is_batch(raw) else parse_json(raw)  # a batch is checked from its bytes
    accepted = await service.submit_events(services, body, raw)
    return JSONResponse(accepted, status_code=202)


@router.get("/top-assets", responses=problems(401, 403, 422))
async def top_assets(services: ServicesDep, key: ReadKey, type: Kind = "ASSET_VIEW", days: Days = 30,
                     limit: Annotated[int, Query(ge=1, le=500)] = 10) -> dict:
    """The assets with the most events of a type in the period, from the daily rollups."""
    return await asyncio.to_thread(service.top_assets, services, kind=type, days=days, limit=limit)


@router.get("/downloads", responses=problems(401, 403, 422))
async def downloads(services: ServicesDep, key: ReadKey, days: Days = 30,
                    assetId: Annotated[str | None, Query(max_length=128)] = None) -> dict:  # noqa: N803
    """ASSET_DOWNLOAD per day, for one asset or all."""
    return await asyncio.to_thread(service.over_time, services, kind="ASSET_DOWNLOAD", days=days, asset_id=assetId)


@router.get("/events", responses=problems(401, 403, 422))
async def over_time(services: ServicesDep, key: ReadKey, type: Kind = "ASSET_VIEW", days: Days = 30,
                    assetId: Annotated[str | None, Query(max_length=128)] = None) -> dict:  # noqa: N803
    """Events of a type per day, for one asset or all."""
    return await asyncio.to_thread(service.over_time, services, kind=type, days=days, asset_id=assetId)


@router.get("/searches", responses=problems(401, 403, 422))
async def searches(services: ServicesDep, key: ReadKey, days: Days = 30,
                   limit: Annotated[int, Query(ge=1, le=100)] = 10) -> dict:
    """Searches per day and the most asked queries (`data.query` of SEARCH events)."""
    return await asyncio.to_thread(service.searches, services, days=days, limit=limit)
