"""The task catalog, and a submit form per task generated from its params schema (file upload included)."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mediamill.dashboard.forms import fields_for, params_from_form
from mediamill.dashboard.pages.common import Seen, action_form, services_of, text_field
from mediamill.dashboard.render import DashboardRoute, page, redirect
from mediamill.errors import MediamillError, NotFound
from mediamill.services import artifacts as artifact_service
from mediamill.services import jobs as job_service
from mediamill.services.catalog import task_catalog

router = APIRouter(route_class=DashboardRoute)


def _task(name: str) -> dict:
    for task in task_catalog():
        if task["name"] == name:
            return task
    raise NotFound(f"unknown task {name!r}; see the catalog", field="task")


@router.get("/tasks")
async def tasks_page(request: Request, found: Seen):
    found.require_read()
    return page(request, found, "tasks.html", tasks=task_catalog())


@router.get("/tasks/{name}")
async def task_page(name: str, request: Request, found: Seen):
    """The submit form; `?from=<job id>` prefills it with that job's params and inputs (duplicate)."""
    found.require_read()
    task = _task(name)
    values, inputs = {}, []
    source = request.query_params.get("from")
    if source:
        job = await job_service.get_job(services_of(request), source)
        values, inputs = job["params"] or {}, [i["artifact"] for i in job["inputs"] if isinstance(i, dict)
                                               and i.get("artifact")]
    return page(request, found, "task.html", task=task, fields=fields_for(task["params_schema"], values),
                inputs=inputs, source=source)


@router.post("/tasks/{name}")
async def submit(name: str, request: Request, found: Seen):
    form = await action_form(request, found)
    task = _task(name)
    services = services_of(request)
    strings = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    try:
        params = params_from_form(task["params_schema"], strings)
        inputs: list = [i for i in (text_field(form.get("inputs")) or "").split() if i]
        for upload in form.getlist("file"):
            if isinstance(upload, UploadFile) and upload.filename:
                artifact = await asyncio.to_thread(artifact_service.store_upload, services, upload.file,
                                                   upload.filename)
                inputs.append(artifact.id)
        view = await job_service.submit_job(services, {"task": name, "params": params, "inputs": inputs})
    except MediamillError as exc:
        if exc.status_code >= 500:
            raise
        fields = fields_for(task["params_schema"], _echo(task, strings))
        return page(request, found, "task.html", status_code=exc.status_code, task=task, fields=fields,
                    inputs=[i for i in (text_field(form.get("inputs")) or "").split() if i], error=exc)
    finally:
        await form.close()
    return redirect(request, found, f"/dashboard/jobs/{view['id']}")


def _echo(task: dict, strings: dict) -> dict:
    """What the user typed, back into the form after an error (raw strings; JSON fields as parsed when valid)."""
    values = {}
    for field in fields_for(task["params_schema"]):
        raw = strings.get(f"p.{field.name}")
        if raw is None:
            continue
        if field.kind == "json":
            try:
                values[field.name] = json.loads(raw)
            except ValueError:
                values[field.name] = raw
        else:
            values[field.name] = raw
    return values


