"""/v1/jobs: submit (JSON or multipart with files), read, list, stream events, retry, cancel."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from mediamill.api.deps import ReadKey, ServicesDep, SubmitKey
from mediamill.api.models import JobAccepted, JobList, JobView
from mediamill.api.routes import problems
from mediamill.api.sse import sse_frame, sse_response
from mediamill.api.uploads import Form, UnsupportedMediaType, is_json, media_type, read_json, read_multipart
from mediamill.engine.wire import JobRequest
from mediamill.errors import BadInput
from mediamill.services import jobs as job_service
from mediamill.services.artifacts import store_upload
from mediamill.services.context import Services
from mediamill.services.events import job_events
from mediamill.storage.refs import parse_input

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

MULTIPART_SCHEMA = {
    "type": "object",
    "properties": {
        "job": {"type": "string", "description": "the whole JobRequest as JSON (or use the fields below)"},
        "task": {"type": "string"},
        "params": {"type": "string", "description": "JSON object"},
        "inputs": {"type": "string", "description": "JSON array of {artifact}|{url}"},
        "notify_url": {"type": "string"},
        "file": {"type": "string", "format": "binary", "description": "uploaded inputs (any field name, repeatable)"},
    },
}
SUBMIT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}},
    "multipart/form-data": {"schema": MULTIPART_SCHEMA},
}}}


def _json_field(form: Form, name: str, default: object) -> object:
    if name not in form.fields:
        return default
    try:
        return json.loads(form.fields[name])
    except json.JSONDecodeError as exc:
        raise BadInput(f"form field {name!r} is not valid JSON: {exc}", field=name) from None


def _submission_from_form(form: Form) -> dict:
    if "job" in form.fields:
        return _json_field(form, "job", {})
    raw = {"task": form.fields.get("task"), "params": _json_field(form, "params", {}),
           "inputs": _json_field(form, "inputs", [])}
    if form.fields.get("notify_url"):
        raw["notify_url"] = form.fields["notify_url"]
    if raw["task"] is None:
        raise BadInput("form field 'task' (or 'job' with the whole submission as JSON) is required", field="task")
    return raw


async def _store_files(services: Services, form: Form) -> list[str]:
    return [(await asyncio.to_thread(store_upload, services, upload.path, upload.filename)).id
            for upload in form.files]


@router.post("", status_code=202, response_model=JobAccepted, openapi_extra=SUBMIT_BODY,
             responses=problems(401, 403, 413, 415, 422))
async def submit_job(request: Request, services: ServicesDep, key: SubmitKey) -> JSONResponse:
    """Queue a task. JSON `{task, params, inputs, notify_url}`, or multipart with files as inputs."""
    kind = media_type(request)
    if is_json(kind):
        job, uploaded = JobRequest.parse(await read_json(request)), []
    elif kind == "multipart/form-data":
        tmp = services.settings.resolved_data_dir / "tmp" / "uploads"
        form = await read_multipart(request, tmp, services.settings.limits.max_upload_bytes)
        try:
            job = JobRequest.parse(_submission_from_form(form))  # checked before any file is stored
            uploaded = await _store_files(services, form)
        finally:
            form.cleanup()
    else:
        raise UnsupportedMediaType(f"Content-Type {kind or '(none)'!r} is not accepted here; send "
                                   "application/json or multipart/form-data", field="content-type")
    if uploaded:
        job = job.model_copy(update={"inputs": [*job.inputs, *map(parse_input, uploaded)]})
    view = await job_service.submit_job(services, job)
    body = {"id": view["id"], "jobId": view["id"], "status": "queued", "links": view["links"]}
    return JSONResponse(body, status_code=202, headers={"Location": view["links"]["self"]})


@router.get("", response_model=JobList, responses=problems(401, 403, 422))
async def list_jobs(services: ServicesDep, key: ReadKey,
                    status: Annotated[str | None, Query(max_length=32)] = None,
                    task: Annotated[str | None, Query(max_length=128)] = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    before: Annotated[str | None, Query(max_length=128, description="a job id: older jobs")] = None,
                    ) -> dict:
    """Recent jobs from the records (newest first)."""
    data = await asyncio.to_thread(job_service.list_jobs, services, state=status, task=task, limit=limit,
                                   before=before)
    return {"data": data, "count": len(data)}


@router.get("/{job_id}", response_model=JobView, responses=problems(401, 403, 404))
async def get_job(job_id: str, services: ServicesDep, key: ReadKey) -> dict:
    """Status, progress, current step, attempts, result (with signed download URLs) and error."""
    return await job_service.get_job(services, job_id)


@router.get("/{job_id}/events", responses={200: {"content": {"text/event-stream": {}},
                                                 "description": "progress, step, then completed/failed/cancelled"},
                                           **problems(401, 403, 404)})
async def job_events_stream(job_id: str, services: ServicesDep, key: ReadKey) -> StreamingResponse:
    """Server-sent events: `progress` and `step` while it runs, then `completed`, `failed` or `cancelled`."""
    await job_service.get_job(services, job_id)  # 404 now, not inside the stream

    async def stream():
        async for event, data in job_events(services, job_id):
            yield sse_frame(event, data)

    return sse_response(stream())


@router.post("/{job_id}/retry", response_model=JobView, responses=problems(401, 403, 404, 409))
async def retry_job(job_id: str, services: ServicesDep, key: SubmitKey) -> dict:
    """Run a failed or cancelled job again."""
    return await job_service.retry_job(services, job_id)


@router.delete("/{job_id}", response_model=JobView, responses=problems(401, 403, 404, 409))
async def cancel_job(job_id: str, services: ServicesDep, key: SubmitKey) -> dict:
    """Cancel a queued or running job (a running one stops at its next cancellation check)."""
    return await job_service.cancel_job(services, job_id)
