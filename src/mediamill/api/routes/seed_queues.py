"""POST /v1/seed-queues/{queue}/jobs: a seed's job data over HTTP, as its BullMQ producer would add it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mediamill.api.deps import ServicesDep, SubmitKey
from mediamill.api.models import JobAccepted
from mediamill.api.routes import problems
from mediamill.api.uploads import read_json_object
from mediamill.engine.seed_jobs import BULLMQ_DEFAULT_NAME
from mediamill.errors import BadInput
from mediamill.services import jobs as job_service

router = APIRouter(prefix="/v1/seed-queues", tags=["seed queues"])


class SeedJobBody(BaseModel):
    """`queue.add(name, data)`'s two arguments."""

    name: str = Field(BULLMQ_DEFAULT_NAME, max_length=128, description="the job name (picks the task on seeds "
                      "with job types)")
    data: dict[str, Any] = Field(description="the job data exactly as the seed's producer writes it")


SEED_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": SeedJobBody.model_json_schema()}}}}


@router.post("/{queue}/jobs", status_code=202, response_model=JobAccepted, openapi_extra=SEED_BODY,
             responses=problems(401, 403, 404, 415, 422))
async def add_seed_job(queue: str, request: Request, services: ServicesDep, key: SubmitKey) -> JSONResponse:
    """A job for a configured seed queue ([seed_queues]), its data in the seed's own field names; the answer is
    the `{jobId, status: 'queued'}` seed apps return, and the job reads back at /v1/jobs/{id}."""
    raw = await read_json_object(request, ": {name, data}")
    try:
        body = SeedJobBody.model_validate(raw)
    except ValueError as exc:
        raise BadInput(f"body: {exc}", field="body") from None
    view = await job_service.submit_seed_job(services, queue, body.data, body.name)
    answer = {"id": view["id"], "jobId": view["id"], "status": "queued", "links": view["links"]}
    return JSONResponse(answer, status_code=202, headers={"Location": view["links"]["self"]})
