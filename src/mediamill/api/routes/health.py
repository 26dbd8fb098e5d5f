"""/healthz (the process answers) and /readyz (Redis, the database and the storage answer)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mediamill.api.deps import ServicesDep
from mediamill.api.models import Health
from mediamill.services.catalog import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict:
    return {"status": "ok", "checks": {}}


@router.get("/readyz", response_model=Health, responses={503: {"model": Health, "description": "not ready"}})
async def readyz(services: ServicesDep) -> JSONResponse:
    checks = await readiness(services)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)
