"""/v1/pipelines and /v1/runs: the catalog, registering specs, starting, watching, cancelling and rerunning runs."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from mediamill.api.deps import AdminKey, ReadKey, ServicesDep, SubmitKey
from mediamill.api.routes import problems
from mediamill.api.sse import sse_frame, sse_response
from mediamill.api.uploads import UnsupportedMediaType, is_json, media_type, read_json, read_multipart
from mediamill.constants import FINAL_STATES
from mediamill.errors import BadInput, NotFound
from mediamill.pipelines import service as pipeline_service
from mediamill.pipelines.catalog import find_entry, load_catalog, register_pipeline
from mediamill.pipelines.coordinator import Coordinator
from mediamill.services.artifacts import store_upload
from mediamill.services.context import Services
from mediamill.services.links import with_download_links
from mediamill.storage.artifact import is_artifact_id

pipelines = APIRouter(prefix="/v1/pipelines", tags=["pipelines"])
runs = APIRouter(prefix="/v1/runs", tags=["runs"])

RUN_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "properties": {
        "inputs": {"type": "object", "description": "name -> {artifact}, text, URL or a list"},
        "params": {"type": "object"}}}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "params": {"type": "string", "description": "JSON object"},
        "inputs": {"type": "string", "description": "JSON object of non-file inputs"},
        "file": {"type": "string", "format": "binary",
                 "description": "one field per file input, named after it (repeat for a list input)"}}}},
}}}


def _coordinator(services: Services):
    return Coordinator(services.settings, broker=services.broker)


def _run_view(services: Services, status) -> dict:
    view = status.model_dump(mode="json")
    view["outputs"] = with_download_links(services.settings, view["outputs"])
    view["links"] = {"self": f"/v1/runs/{status.id}", "events": f"/v1/runs/{status.id}/events",
                     "cancel": f"/v1/runs/{status.id}/cancel", "rerun": f"/v1/runs/{status.id}/rerun"}
    return view


@pipelines.get("", responses=problems(401, 403))
async def list_pipelines(services: ServicesDep, key: ReadKey) -> list[dict]:
    """Every pipeline with its input and param schemas; unavailable ones name their missing tasks."""
    catalog = await asyncio.to_thread(load_catalog, services.settings)
    return [entry.describe() for entry in catalog.values()]


@pipelines.get("/{name}", responses=problems(401, 403, 404))
async def get_pipeline(name: str, services: ServicesDep, key: ReadKey) -> dict:
    entry = find_entry(await asyncio.to_thread(load_catalog, services.settings), name)
    if entry is None:
        raise NotFound(f"unknown pipeline {name!r}", field="name")
    return entry.describe()


@pipelines.post("", status_code=201, responses=problems(401, 403, 415, 422),
                openapi_extra={"requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/yaml": {"schema": {"type": "string"}}}}})
async def register(request: Request, services: ServicesDep, key: AdminKey) -> dict:
    """Register (or replace) a pipeline: a JSON spec, or YAML with Content-Type application/yaml."""
    kind = media_type(request)
    if kind in ("application/yaml", "application/x-yaml", "text/yaml", "text/plain"):
        source: Any = (await request.body()).decode("utf-8", errors="replace")
    elif is_json(kind):
        source = await read_json(request)
    else:
        raise UnsupportedMediaType(f"Content-Type {kind or '(none)'!r}: send a JSON or YAML spec", field="content-type")
    spec = await asyncio.to_thread(register_pipeline, services.settings, source)
    return {"name": spec.name, "registered": True, "links": {"runs": f"/v1/pipelines/{spec.name}/runs"}}


async def _run_request(request: Request, services: Services) -> tuple[dict, dict]:
    kind = media_type(request)
    if is_json(kind):
        body = await read_json(request)
        if not isinstance(body, dict):
            raise BadInput("the body must be a JSON object {inputs, params}", field="body")
        inputs, params = body.get("inputs") or {}, body.get("params") or {}
    elif kind == "multipart/form-data":
        tmp = services.settings.resolved_data_dir / "tmp" / "uploads"
        form = await read_multipart(request, tmp, services.settings.limits.max_upload_bytes)
        try:
            inputs, params = _json_object(form.fields, "inputs"), _json_object(form.fields, "params")
            for upload in form.files:
                ref = (await asyncio.to_thread(store_upload, services, upload.path, upload.filename)).ref()
                inputs.setdefault(upload.field, [])
                inputs[upload.field] = [*inputs[upload.field], ref] if isinstance(inputs[upload.field], list) else ref
        finally:
            form.cleanup()
        inputs = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in inputs.items()}
    else:
        raise UnsupportedMediaType(f"Content-Type {kind or '(none)'!r}: send JSON or multipart/form-data",
                                   field="content-type")
    if not isinstance(inputs, dict) or not isinstance(params, dict):
        raise BadInput("inputs and params must be JSON objects", field="inputs")
    return inputs, params


def _json_object(fields: dict[str, str], name: str) -> dict:
    if name not in fields:
        return {}
    try:
        value = json.loads(fields[name])
    except json.JSONDecodeError as exc:
        raise BadInput(f"form field {name!r} is not valid JSON: {exc}", field=name) from None
    if not isinstance(value, dict):
        raise BadInput(f"form field {name!r} must be a JSON object", field=name)
    return value


@pipelines.post("/{name}/runs", status_code=202, openapi_extra=RUN_BODY, responses=problems(401, 403, 404, 415, 422))
async def start_run(name: str, request: Request, services: ServicesDep, key: SubmitKey) -> JSONResponse:
    """Start a run: JSON `{inputs, params}` (file inputs as `{"artifact": id}`), or multipart with files."""
    inputs, params = await _run_request(request, services)
    inputs = {k: ({"artifact": v} if is_artifact_id(v) else v) for k, v in inputs.items()}  # text stays text
    for value in inputs.values():  # file inputs: the artifact must exist; its record fills in mime/size
        if isinstance(value, dict) and "artifact" in value and len(value) == 1:
            value.update((await asyncio.to_thread(services.store.stat, value["artifact"])).ref())
    status = await pipeline_service.start_named_run(_coordinator(services), name, inputs, params)
    view = _run_view(services, status)
    return JSONResponse({"id": status.id, "status": status.state, "links": view["links"]}, status_code=202,
                        headers={"Location": view["links"]["self"]})


@runs.get("", responses=problems(401, 403, 422))
async def list_runs(services: ServicesDep, key: ReadKey,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    rows = await asyncio.to_thread(pipeline_service.recent_runs, services.settings, limit)
    return {"data": json.loads(json.dumps(rows, default=str)), "count": len(rows)}


@runs.get("/{run_id}", responses=problems(401, 403, 404))
async def get_run(run_id: str, services: ServicesDep, key: ReadKey) -> dict:
    """State, progress weighted by steps, current steps, per-step state/attempts/duration, outputs, error."""
    return _run_view(services, await _coordinator(services).status(run_id))


@runs.get("/{run_id}/events", responses={200: {"content": {"text/event-stream": {}}}, **problems(401, 403, 404)})
async def run_events(run_id: str, services: ServicesDep, key: ReadKey) -> StreamingResponse:
    """Server-sent events: `progress` (run and steps) while it runs, then `completed`, `failed` or `cancelled`."""
    coordinator = _coordinator(services)
    await coordinator.status(run_id)  # 404 before the stream starts

    async def stream():
        last = None
        while True:
            status = await coordinator.status(run_id)
            snapshot = (status.state, status.progress, tuple((s.name, s.state, s.progress) for s in status.steps))
            if snapshot != last:
                last = snapshot
                payload = {"id": run_id, "state": status.state, "progress": status.progress,
                           "current_steps": status.current_steps,
                           "steps": [{"name": s.name, "state": s.state, "progress": s.progress} for s in status.steps]}
                yield sse_frame("progress", payload)
            if status.state in FINAL_STATES:
                yield sse_frame(status.state, _run_view(services, status))
                return
            await asyncio.sleep(0.25)

    return sse_response(stream())


@runs.post("/{run_id}/cancel", responses=problems(401, 403, 404, 409))
async def cancel_run(run_id: str, services: ServicesDep, key: SubmitKey) -> dict:
    return _run_view(services, await _coordinator(services).cancel(run_id))


@runs.post("/{run_id}/rerun", responses=problems(401, 403, 404, 409))
async def rerun(run_id: str, services: ServicesDep, key: SubmitKey) -> dict:
    """Restart a failed or cancelled run from its unfinished steps, reusing completed outputs."""
    return _run_view(services, await _coordinator(services).rerun(run_id))
